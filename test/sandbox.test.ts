import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadTestRun } from "@loadmgr/shared";
import { createTest, ended, locustPrintedTotals, masterPid, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";
import { startMongoWireServer } from "./helpers/ferretdb.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";

const ROOT = resolve(import.meta.dirname, "..");
const TOKENS = { alpha: "alpha-editor-token-0123456789", beta: "beta-editor-token-0123456789" };
const SCOPE = { accountId: "acme", orgId: "web" };
const SERVER_SECRET = `server-env-secret-${process.pid}-0123456789`;
const LIMITS = { processes: 64, memoryMb: 400, openFiles: 1024, diskMb: 20 };

interface Report {
  hostname: string;
  files: string[];
  env: string[];
  procVisible: number;
  procLeaks: string[];
  signalled: number[];
  masterMessages: number;
  wrote: string[];
  identity: { uid: number; euid: number; caps: Record<string, string>; noNewPrivs: string; seccomp: string };
  escape: Record<string, string>;
  network: Record<string, string>;
}

/** The target of every run here: counts hits, and keeps what the hostile script reports to /report. */
async function startTarget(): Promise<{ url: string; reports: Report[]; server: Server }> {
  const reports: Report[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      if (req.url === "/report") reports.push(JSON.parse(Buffer.concat(chunks).toString()) as Report);
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("ok");
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  const address = server.address();
  return { url: `http://127.0.0.1:${typeof address === "object" && address ? address.port : 0}`, reports, server };
}

const plainScript = `from locust import FastHttpUser, constant, task


class Visitor(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def page(self):
        self.client.get("/beta")
`;

/** A script that does one hostile thing when its test starts (on the master, or a single process). */
function abuse(body: string): string {
  return `import os
import time

from locust import FastHttpUser, constant, events, task
from locust.runners import WorkerRunner


@events.test_start.add_listener
def _abuse(environment, **_kwargs):
    if isinstance(environment.runner, WorkerRunner):
        return
${body}


class Visitor(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def page(self):
        self.client.get("/abuse")
`;
}

const FORK_10000 = `    for _ in range(10000):
        try:
            if os.fork() == 0:
                time.sleep(20)
                os._exit(0)
        except OSError:
            break`;
const ALLOCATE = `    kept = []
    for _ in range(100):
        kept.append(bytearray(50 * 1024 * 1024))
        time.sleep(0.02)`;
const FILL_SHM_AND_SPIN = `    import json, resource, subprocess, sys, urllib.request
    wrote = {}
    for where in ("/dev/shm", "/tmp"):
        wrote[where] = 0
        try:
            with open(where + "/fill", "wb") as handle:
                for _ in range(700):
                    handle.write(b"\\0" * 1048576)
                    handle.flush()
                    wrote[where] += 1
        except OSError:
            pass
        os.remove(where + "/fill")
    started = time.time()
    spin = "import time\\nend = time.time() + 3\\nwhile time.time() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    for spinner in spinners:
        spinner.wait()
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    report = {"wrote": wrote, "wall": time.time() - started, "cpu": usage.ru_utime + usage.ru_stime}
    urllib.request.urlopen(urllib.request.Request(environment.host + "/report", data=json.dumps(report).encode(), method="POST"), timeout=10)`;
const FILL_DISK = `    for i in range(200):
        try:
            with open(f"fill-{i}", "wb") as handle:
                handle.write(os.urandom(1024 * 1024))
        except OSError:
            break`;

/**
 * A server that runs jobs, with an editor token for each of two projects, small limits, two workers per
 * run, and the admin token in its data directory as `npm start` leaves it.
 */
async function startSandboxServer(extra: Record<string, unknown> = {}): Promise<TestServer> {
  const tokens = (["alpha", "beta"] as const).map((project) => ({
    name: `${project}-editor`,
    token: TOKENS[project],
    role: "editor",
    ...SCOPE,
    projectId: project,
  }));
  const server = await startTestServer(
    { security: { tokens }, runner: { metricsIntervalSec: 1, local: { workers: 2 }, limits: LIMITS }, ...extra },
    { role: "all" },
  );
  writeFileSync(join(server.dataDir, "admin-token"), `${ADMIN_TOKEN}\n`, { mode: 0o600 });
  return server;
}

/** This host's first address that is not a loopback (what "the server's port from outside" is). */
function hostAddress(): string {
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) if (entry.family === "IPv4" && !entry.internal) return entry.address;
  }
  return "127.0.0.1";
}

/**
 * Runs the hostile locustfile in project alpha beside a plain distributed run in project beta on the
 * server's host, and checks that it got nothing (files, environment, processes, signals, root, a way
 * out of its sandbox, any address but its targets), that beta finished with Locust's exact totals
 * having heard nothing of it, and that nothing holding `secret` leaked.
 */
async function hostileBesideAnother(
  server: TestServer,
  target: Awaited<ReturnType<typeof startTarget>>,
  services: { allowed: Server; unnamed: Server; redisPort: number; mongoPort: number | null },
  secret: string,
): Promise<void> {
  const alpha = restClient(server.url, TOKENS.alpha);
  const beta = restClient(server.url, TOKENS.beta);
  const betaTest = await createTest(beta, target.url, plainScript, { ...SCOPE, projectId: "beta" });
  const betaRun = await startRun(beta, betaTest.id, { durationSec: 14 });
  await waitForRun(beta, betaRun.id, reporting);
  const betaDir = runDir(server, betaRun.id);
  const betaMaster = readFileSync(`/proc/${masterPid(betaDir)}/cmdline`, "utf-8").split("\0");
  const betaPort = betaMaster[betaMaster.indexOf("--master-bind-port") + 1] ?? "";
  assert.match(betaPort, /^\d+$/);
  assert.ok(betaMaster.includes("--headless") && !betaMaster.includes("--web-port"), "Locust serves no web UI");
  const supervisor = (JSON.parse(readFileSync(join(betaDir, "supervisor.json"), "utf-8")) as { pid: number }).pid;

  const serverPort = Number(new URL(server.url).port);
  const portOf = (s: Server): number => (s.address() as AddressInfo).port;
  const forbidden: [string, string, number][] = [
    ["the server's port", "127.0.0.1", serverPort],
    ["the server's port at the host's address", hostAddress(), serverPort],
    ["the server's Redis", "127.0.0.1", services.redisPort],
    ...(services.mongoPort !== null
      ? [["the server's MongoDB", "127.0.0.1", services.mongoPort] as [string, string, number]]
      : []),
    ["another run's master", "127.0.0.1", Number(betaPort)],
    ["a loopback service the test does not name", "127.0.0.1", portOf(services.unnamed)],
    ["cloud metadata", "169.254.169.254", 80],
    ["a private address the test does not name", "10.255.255.1", 80],
  ];
  const allowed: [string, string, number][] = [
    ["its target", "127.0.0.1", Number(new URL(target.url).port)],
    ["a host its test allows", "127.0.0.1", portOf(services.allowed)],
  ];
  const script = readFileSync(join(ROOT, "test/fixtures/hostile_locustfile.py"), "utf-8")
    .replace("__DATA_DIR__", resolve(server.dataDir))
    .replace("__REPO_DIR__", ROOT)
    .replace("__SERVER_PID__", String(process.pid))
    .replace("__OTHER_SUPERVISOR_PID__", String(supervisor))
    .replaceAll("__OTHER_RUN_ID__", betaRun.id)
    .replace("__OTHER_MASTER_PORT__", betaPort)
    .replace("__FORBIDDEN__", JSON.stringify(forbidden))
    .replace("__ALLOWED__", JSON.stringify(allowed))
    .replaceAll("__SERVER_SECRET__", secret);
  const hostile = await createTest(alpha, target.url, script, {
    ...SCOPE,
    projectId: "alpha",
    allowedHosts: [`127.0.0.1:${portOf(services.allowed)}`],
  });
  const hostileRun = await startRun(alpha, hostile.id, { durationSec: 4 });
  const hostileEnd = await waitForRun(alpha, hostileRun.id, ended, 90_000);

  // Master and two workers each probed and reported (a probe that did not run cannot pass).
  assert.equal(target.reports.length, 3, JSON.stringify(target.reports));
  for (const report of target.reports) {
    assert.deepEqual(report.files, [], "files outside the run's directory");
    assert.deepEqual(report.env, [], "environment beyond the allow-list");
    assert.ok(report.procVisible <= 8, `sees ${report.procVisible} processes: only its own sandbox's`);
    assert.deepEqual(report.procLeaks, []);
    assert.deepEqual(report.signalled, [], "signalled the server or the other run's supervisor");
    assert.equal(report.masterMessages, 12, "it did try to send its messages to the other run's master");
    // A path under /tmp can only have landed in the sandbox's own private /tmp (the repository or the
    // venv may live under the host's /tmp, so their mount points exist there); nothing reached the host.
    assert.deepEqual(
      report.wrote.filter((path) => !path.startsWith("/tmp/")),
      [],
      "wrote outside its directory",
    );
    for (const path of report.wrote) assert.equal(existsSync(path), false, `${path} reached the host`);
    assert.match(report.hostname, /^loadmgr-[0-9a-f]{32}$/);

    // Not root, no capability left (not even in its bounding set), no way to gain one, a seccomp filter.
    const { identity } = report;
    assert.ok(identity.uid !== 0 && identity.euid !== 0, `uid ${identity.uid}, euid ${identity.euid}`);
    for (const [set, value] of Object.entries(identity.caps)) assert.equal(BigInt(`0x${value}`), 0n, `${set} ${value}`);
    assert.equal(identity.noNewPrivs, "1");
    assert.equal(identity.seccomp, "2", "a seccomp filter");
    // Every step of the way out a root script took before is refused.
    for (const [step, outcome] of Object.entries(report.escape)) {
      assert.match(outcome, /^E[A-Z]+$/, `${step}: ${outcome}`);
    }
    // Its network reaches its targets and nothing else: not the server's services, not another run.
    for (const [label] of allowed) assert.equal(report.network[label], "connected", label);
    for (const [label] of forbidden) {
      assert.notEqual(report.network[label], "connected", label);
      assert.match(
        report.network[label] ?? "",
        /loadmgr: .*(not among this run's targets|one of the server's own services|link-local)/,
        label,
      );
    }
    assert.match(
      report.network["raw socket to the server's port"] ?? "",
      /^ECONNREFUSED$/,
      "its own loopback has nothing",
    );
    assert.match(report.network["resolve example.com"] ?? "", /not among this run's targets/);
  }
  for (const path of [
    join(server.dataDir, "escaped"),
    join(ROOT, "escaped"),
    "/usr/escaped",
    "/escaped",
    "/tmp/escaped-by-pth",
  ]) {
    assert.equal(existsSync(path), false, path);
  }
  const venvSite = readdirSync(join(ROOT, ".venv/locust/lib")).map((v) =>
    join(ROOT, ".venv/locust/lib", v, "site-packages"),
  );
  for (const site of venvSite) assert.equal(existsSync(join(site, "zzz-escape.pth")), false, "the venv is untouched");
  assert.equal(hostileEnd.status, "Finished", hostileEnd.failureReason ?? "");
  // The run's files are its own: its work directory is its unprivileged uid's, the rest its supervisor's.
  const dir = runDir(server, hostileRun.id);
  const runUid = statSync(join(dir, "work")).uid;
  assert.notEqual(runUid, 0);
  assert.equal(runUid, target.reports[0]?.identity.uid, "the script ran as the owner of its work directory");
  for (const [path, mode] of [
    [dir, 0o700],
    [join(dir, "locust.log"), 0o600],
    [join(dir, "spec.json"), 0o600],
    [join(dir, "work"), 0o700],
    [join(dir, "work", "locustfile.py"), 0o600],
    [join(dir, "work", "locust_stats.csv"), 0o600],
  ] as const) {
    assert.equal(statSync(path).mode & 0o777, mode, path);
  }

  // The other project's run: unharmed, its figures exactly Locust's, nothing of the intruder heard.
  const betaEnd = await waitForRun(beta, betaRun.id, ended, 60_000);
  assert.equal(betaEnd.status, "Finished", betaEnd.failureReason ?? "");
  const printed = await locustPrintedTotals(betaDir);
  assert.equal(betaEnd.lastMetrics?.totalRequests, printed.requests);
  assert.ok(printed.requests > 0);
  const betaLog = readFileSync(join(betaDir, "locust.log"), "utf-8");
  assert.doesNotMatch(betaLog, /dropped a/, "no message of another run's reached its master");
  const joined = [...betaLog.matchAll(/(\S+) \(index \d+\) reported as ready/g)].map((m) => m[1]);
  const quit = [...betaLog.matchAll(/Worker '(\S+)' \(index \d+\) quit/g)].map((m) => m[1]);
  assert.equal(new Set(joined).size, 2);
  assert.ok(
    quit.every((id) => joined.includes(id)),
    `only its own workers quit: ${quit.join(", ")}`,
  );

  // What the hostile run exposes (its log, through failure reasons) holds none of the secrets.
  const hostileLog = readFileSync(join(dir, "locust.log"), "utf-8");
  const runTokenSecret = readFileSync(join(server.dataDir, "run-token-secret"), "utf-8").trim();
  for (const value of [ADMIN_TOKEN, runTokenSecret, secret, server.running.services.runTokens.issue(betaRun.id)]) {
    assert.ok(!hostileLog.includes(value));
  }
}

describe("run sandbox: a hostile locustfile gets nothing, and harms only its own run", () => {
  let server: TestServer;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let redis: RedisServer;
  let mongo: { uri: string; stop: () => Promise<void> };
  const allowed = createServer((_req, res) => res.end("allowed"));
  const unnamed = createServer((_req, res) => res.end("unnamed"));

  before(async () => {
    process.env.LOADMGR_TEST_SERVER_SECRET = SERVER_SECRET;
    target = await startTarget();
    await Promise.all([allowed, unnamed].map((s) => new Promise<void>((done) => s.listen(0, "127.0.0.1", done))));
    // The production stack, as the README runs it: MongoDB's wire protocol and Redis on the host's loopback.
    [redis, mongo] = await Promise.all([startRedis(), startMongoWireServer()]);
    server = await startSandboxServer({ redis: { url: redis.url }, mongodb: { uri: mongo.uri, database: "sandbox" } });
  });
  after(async () => {
    delete process.env.LOADMGR_TEST_SERVER_SECRET;
    await server?.close();
    await redis?.stop();
    await mongo?.stop();
    for (const s of [target?.server, allowed, unnamed]) {
      s?.close();
      s?.closeAllConnections();
    }
  });

  it("reads, signals, joins, writes and reaches nothing outside its run, as root or not, while another project's run finishes exactly", async () => {
    const mongoPort = new URL(mongo.uri).port;
    await hostileBesideAnother(
      server,
      target,
      {
        allowed,
        unnamed,
        redisPort: Number(new URL(redis.url).port),
        mongoPort: mongoPort === "" ? null : Number(mongoPort),
      },
      SERVER_SECRET,
    );
  });

  it("ends a fork bomb, a memory hog and a disk filler as Failed, naming the limit; the server stays healthy", async () => {
    const alpha = restClient(server.url, TOKENS.alpha);
    const beta = restClient(server.url, TOKENS.beta);
    const betaTest = await createTest(beta, target.url, plainScript, { ...SCOPE, projectId: "beta" });
    const betaRun = await startRun(beta, betaTest.id, { durationSec: 12 });
    const cases: [string, string, RegExp][] = [
      ["fork bomb", FORK_10000, /limit of 64 processes/],
      ["memory hog", ALLOCATE, /memory limit of 400 MB/],
      ["disk filler", FILL_DISK, /files reached their limit of 20 MB/],
    ];
    const runs: LoadTestRun[] = [];
    for (const [name, body] of cases) {
      const test = await createTest(alpha, target.url, abuse(body), { ...SCOPE, projectId: "alpha", name });
      runs.push(await startRun(alpha, test.id, { durationSec: 60 }));
    }
    for (const [i, run] of runs.entries()) {
      const [name, , reason] = cases[i] as (typeof cases)[number];
      const end = await waitForRun(alpha, run.id, ended, 60_000);
      assert.equal(end.status, "Failed", `${name}: ${end.status} (${end.failureReason})`);
      assert.match(end.failureReason ?? "", reason, `${name}: ${end.failureReason}`);
    }
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const betaEnd = await waitForRun(beta, betaRun.id, ended, 60_000);
    assert.equal(betaEnd.status, "Finished", betaEnd.failureReason ?? "");
    const printed = await locustPrintedTotals(runDir(server, betaRun.id));
    assert.equal(betaEnd.lastMetrics?.totalRequests, printed.requests);
  });
});

/** A master that sends its own port every kind of malformed message, then reports how many it sent. */
const GARBAGE = `import json
import os
import socket
import struct
import urllib.request

import gevent
import zmq.green as zmq
from locust import FastHttpUser, constant, events, task
from locust.runners import MasterRunner


def frame_peer(port, identity, frames):
    """A ZMQ peer (DEALER) sending the frames as they are."""
    context = zmq.Context()
    sock = context.socket(zmq.DEALER)
    sock.setsockopt(zmq.IDENTITY, identity)
    sock.setsockopt(zmq.LINGER, 2000)
    sock.connect(f"tcp://127.0.0.1:{port}")
    for frame in frames:
        if isinstance(frame, list):
            sock.send_multipart(frame)
        else:
            sock.send(frame)
    gevent.sleep(0.5)
    sock.close()
    context.term()


def raw_peer(port, data):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        gevent.sleep(0.3)


def zmtp_huge_frame():
    """A ZMTP 3.0 greeting and handshake, then a frame that announces 2**62 bytes."""
    greeting = b"\\xff" + b"\\x00" * 8 + b"\\x7f" + b"\\x03\\x00" + b"NULL".ljust(20, b"\\x00") + b"\\x00" + b"\\x00" * 31

    def prop(name, value):
        return bytes([len(name)]) + name + struct.pack(">I", len(value)) + value

    ready = b"\\x05READY" + prop(b"Socket-Type", b"DEALER") + prop(b"Identity", (socket.gethostname() + "_huge").encode())
    return greeting + bytes([0x04, len(ready)]) + ready + b"\\x02" + struct.pack(">Q", 2**62) + b"x" * 1024


@events.test_start.add_listener
def _garbage(environment, **_kwargs):
    if not isinstance(environment.runner, MasterRunner):
        return
    port = environment.parsed_options.master_bind_port
    own = (socket.gethostname() + "_garbage").encode()
    frames = [b"\\xc1", os.urandom(64), b"\\x93\\xa5stats", b"", b"\\xdf\\xff\\xff\\xff\\xff", [b"a", b"b", b"c"]]

    def attack():
        # As one of the run's own workers would be named (the name check passes), then as a stranger.
        frame_peer(port, own, frames)
        frame_peer(port, b"stranger", frames)
        raw_peer(port, os.urandom(4096))
        raw_peer(port, zmtp_huge_frame())
        body = json.dumps({"sent": 2 * len(frames) + 2}).encode()
        urllib.request.urlopen(urllib.request.Request(environment.host + "/report", data=body, method="POST"), timeout=10)

    gevent.spawn(attack)


class Visitor(FastHttpUser):
    wait_time = constant(0.05)

    @task
    def page(self):
        self.client.get("/garbage")
`;

describe("run sandbox: a master's port takes garbage without the run noticing", () => {
  let server: TestServer;
  let target: Awaited<ReturnType<typeof startTarget>>;

  before(async () => {
    target = await startTarget();
    server = await startSandboxServer();
  });
  after(async () => {
    await server?.close();
    target?.server.close();
    target?.server.closeAllConnections();
  });

  it("drops random bytes, truncated msgpack, a bad byte and a frame of 2**62 bytes, and finishes with both workers", async () => {
    const alpha = restClient(server.url, TOKENS.alpha);
    const test = await createTest(alpha, target.url, GARBAGE, { ...SCOPE, projectId: "alpha" });
    const run = await startRun(alpha, test.id, { durationSec: 8 });
    const end = await waitForRun(alpha, run.id, ended, 60_000);
    assert.equal((target.reports as unknown as { sent: number }[])[0]?.sent, 14, "every garbage message was sent");
    assert.equal(end.status, "Finished", end.failureReason ?? "");
    const dir = runDir(server, run.id);
    const printed = await locustPrintedTotals(dir);
    assert.equal(end.lastMetrics?.totalRequests, printed.requests);
    const log = readFileSync(join(dir, "locust.log"), "utf-8");
    assert.match(log, /dropped a malformed message from worker/);
    assert.match(log, /dropped a message from a process that is not one of this run's workers/);
    assert.doesNotMatch(log, /Traceback|Unhandled exception in greenlet|missing/i);
    // Both of its workers stayed to the end, and were the only ones the master counted.
    const joined = [...log.matchAll(/(\S+) \(index \d+\) reported as ready/g)].map((m) => m[1]);
    assert.equal(new Set(joined).size, 2);
  });

  it("bounds /dev/shm and /tmp to the run's size and its CPU to runner.limits.cpu", async () => {
    const limited = await startSandboxServer({
      runner: { metricsIntervalSec: 1, local: { workers: 0 }, limits: { ...LIMITS, cpu: 0.5 } },
    });
    try {
      const alpha = restClient(limited.url, TOKENS.alpha);
      target.reports.length = 0;
      const test = await createTest(alpha, target.url, abuse(FILL_SHM_AND_SPIN), { ...SCOPE, projectId: "alpha" });
      const run = await startRun(alpha, test.id, { durationSec: 12 });
      const end = await waitForRun(alpha, run.id, ended, 60_000);
      assert.equal(end.status, "Finished", end.failureReason ?? "");
      const report = target.reports[0] as unknown as { wrote: Record<string, number>; wall: number; cpu: number };
      assert.ok(report !== undefined, "the script reported");
      // Each is a tmpfs of diskMb (20 MB): the 700 MB the script tried did not fit.
      assert.ok(report.wrote["/dev/shm"] !== undefined && report.wrote["/dev/shm"] <= 20, JSON.stringify(report.wrote));
      assert.ok(report.wrote["/tmp"] !== undefined && report.wrote["/tmp"] <= 20, JSON.stringify(report.wrote));
      const log = readFileSync(join(runDir(limited, run.id), "locust.log"), "utf-8");
      if (/no cgroup for the run/.test(log)) {
        // A kernel without cgroups for us (some gVisor setups): the run says so, and there is no quota to check.
        assert.match(log, /CPU not at all/);
      } else {
        // Two processes spinning for 3 s of wall time got at most half a core between them (plus the
        // scheduler's period of slack), where they would have had two.
        assert.ok(report.cpu / report.wall <= 0.5 * 1.2 + 0.05, `used ${(report.cpu / report.wall).toFixed(2)} cores`);
      }
    } finally {
      await limited.close();
    }
  });
});

describe("run sandbox: fails closed where it cannot be made", () => {
  it("lets only the admin start runs, and says why on /readyz, unless the operator turned it off", async () => {
    const server = await startTestServer(
      { security: { tokens: [{ name: "alpha-editor", token: TOKENS.alpha, role: "editor", ...SCOPE }] } },
      { sandbox: { mode: "on", available: false, reason: "no user namespaces (test)" } },
    );
    const off = await startTestServer(
      {
        security: { tokens: [{ name: "alpha-editor", token: TOKENS.alpha, role: "editor", ...SCOPE }] },
        runner: { sandbox: "off" },
      },
      { sandbox: { mode: "off", available: false } },
    );
    try {
      const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { sandbox: string };
      assert.match(ready.sandbox, /^unavailable: no user namespaces \(test\); only the admin token may start runs$/);
      const editor = restClient(server.url, TOKENS.alpha);
      const test = await createTest(editor, "http://127.0.0.1:9", plainScript, { ...SCOPE, projectId: "alpha" });
      const refused = await editor.post<{ code: string; message: string }>(`/v1/load-tests/${test.id}/runs`, {});
      assert.equal(refused.status, 503);
      assert.equal(refused.body.code, "SANDBOX_UNAVAILABLE");
      assert.match(refused.body.message, /no user namespaces \(test\)/);
      assert.deepEqual((await editor.get<{ items: unknown[] }>(`/v1/load-tests/${test.id}/runs`)).body.items, []);
      assert.equal((await restClient(server.url).post(`/v1/load-tests/${test.id}/runs`, {})).status, 201);

      assert.equal(((await (await fetch(`${off.url}/readyz`)).json()) as { sandbox: string }).sandbox, "off");
      const offEditor = restClient(off.url, TOKENS.alpha);
      const offTest = await createTest(offEditor, "http://127.0.0.1:9", plainScript, { ...SCOPE, projectId: "alpha" });
      assert.equal((await offEditor.post(`/v1/load-tests/${offTest.id}/runs`, {})).status, 201);
    } finally {
      await server.close();
      await off.close();
    }
  });
});
