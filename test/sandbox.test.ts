import assert from "node:assert/strict";
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadTestRun } from "@loadmgr/shared";
import {
  createTest,
  ended,
  locustPrintedTotals,
  masterPid,
  processesMentioning,
  reporting,
  startRun,
  waitForRun,
} from "./helpers/runs.js";
import { AGENT_TOKEN, startAgent, type Agent } from "./helpers/agent.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

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

/**
 * Runs the hostile locustfile in project alpha (with `hostileTest`'s extra fields: a cluster, say)
 * beside a plain distributed run in project beta on the server's host, and checks that it got
 * nothing, that beta finished with Locust's exact totals, and that nothing holding `secret` leaked.
 */
async function hostileBesideAnother(
  server: TestServer,
  target: Awaited<ReturnType<typeof startTarget>>,
  hostileTest: Record<string, unknown>,
  secret: string,
  hostileDir: (runId: string) => string,
): Promise<void> {
  const alpha = restClient(server.url, TOKENS.alpha);
  const beta = restClient(server.url, TOKENS.beta);
  const betaTest = await createTest(beta, target.url, plainScript, { ...SCOPE, projectId: "beta" });
  const betaRun = await startRun(beta, betaTest.id, { durationSeconds: 14 });
  await waitForRun(beta, betaRun.id, reporting);
  const betaDir = server.running.localRunner.runDir(betaRun.id);
  const betaMaster = readFileSync(`/proc/${masterPid(betaDir)}/cmdline`, "utf-8").split("\0");
  const betaPort = betaMaster[betaMaster.indexOf("--master-bind-port") + 1] ?? "";
  assert.match(betaPort, /^\d+$/);
  assert.ok(betaMaster.includes("--headless") && !betaMaster.includes("--web-port"), "Locust serves no web UI");
  const supervisor = (JSON.parse(readFileSync(join(betaDir, "supervisor.json"), "utf-8")) as { pid: number }).pid;

  const script = readFileSync(join(ROOT, "test/fixtures/hostile_locustfile.py"), "utf-8")
    .replace("__DATA_DIR__", resolve(server.dataDir))
    .replace("__REPO_DIR__", ROOT)
    .replace("__SERVER_PID__", String(process.pid))
    .replace("__OTHER_SUPERVISOR_PID__", String(supervisor))
    .replaceAll("__OTHER_RUN_ID__", betaRun.id)
    .replace("__OTHER_MASTER_PORT__", betaPort)
    .replaceAll("__SERVER_SECRET__", secret);
  const hostile = await createTest(alpha, target.url, script, { ...SCOPE, projectId: "alpha", ...hostileTest });
  const hostileRun = await startRun(alpha, hostile.id, { durationSeconds: 4 });
  const hostileEnd = await waitForRun(alpha, hostileRun.id, ended, 60_000);

  // Master and two workers each probed and reported (a probe that did not run cannot pass).
  assert.equal(target.reports.length, 3, JSON.stringify(target.reports));
  for (const report of target.reports) {
    assert.deepEqual(report.files, [], "files outside the run's directory");
    assert.deepEqual(report.env, [], "environment beyond the allow-list");
    assert.ok(report.procVisible <= 8, `sees ${report.procVisible} processes: only its own sandbox's`);
    assert.deepEqual(report.procLeaks, []);
    assert.deepEqual(report.signalled, [], "signalled the server or the other run's supervisor");
    assert.equal(report.masterMessages, 12, "it did send its messages to the other run's master");
    // A path under /tmp can only have landed in the sandbox's own private /tmp (the repository or the
    // venv may live under the host's /tmp, so their mount points exist there); nothing reached the host.
    assert.deepEqual(
      report.wrote.filter((path) => !path.startsWith("/tmp/")),
      [],
      "wrote outside its directory",
    );
    for (const path of report.wrote) assert.equal(existsSync(path), false, `${path} reached the host`);
    assert.match(report.hostname, /^loadmgr-[0-9a-f]{32}$/);
  }
  for (const path of [join(server.dataDir, "escaped"), join(ROOT, "escaped"), "/usr/escaped", "/escaped"]) {
    assert.equal(existsSync(path), false, path);
  }
  assert.equal(hostileEnd.status, "Finished", hostileEnd.failureReason ?? "");
  // The run's files are its owner's alone.
  const dir = hostileDir(hostileRun.id);
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

  // The other project's run: unharmed, its figures exactly Locust's, the intruder's messages dropped.
  const betaEnd = await waitForRun(beta, betaRun.id, ended, 60_000);
  assert.equal(betaEnd.status, "Finished", betaEnd.failureReason ?? "");
  const printed = await locustPrintedTotals(betaDir);
  assert.equal(betaEnd.lastMetrics?.totalRequests, printed.requests);
  assert.ok(printed.requests > 0);
  const betaLog = readFileSync(join(betaDir, "locust.log"), "utf-8");
  // Each hostile process made up three workers, four messages each: every one dropped; only the run's own two joined.
  const dropped = betaLog.match(/dropped a '\w+' message from a process that is not one of this run's workers/g);
  assert.equal(dropped?.length, 12 * target.reports.length);
  const joined = [...betaLog.matchAll(/(\S+) \(index \d+\) reported as ready/g)].map((m) => m[1]);
  const quit = [...betaLog.matchAll(/Worker '(\S+)' \(index \d+\) quit/g)].map((m) => m[1]);
  assert.equal(new Set(joined).size, 2);
  assert.ok(
    quit.every((id) => joined.includes(id)),
    `only its own workers quit: ${quit.join(", ")}`,
  );

  // What the hostile run exposes (its log, through failure reasons) holds none of the secrets.
  const hostileLog = readFileSync(join(hostileDir(hostileRun.id), "locust.log"), "utf-8");
  const runTokenSecret = readFileSync(join(server.dataDir, "run-token-secret"), "utf-8").trim();
  for (const value of [ADMIN_TOKEN, runTokenSecret, secret, server.running.services.runTokens.issue(betaRun.id)]) {
    assert.ok(!hostileLog.includes(value));
  }
}

describe("run sandbox: a hostile locustfile gets nothing, and harms only its own run", () => {
  let server: TestServer;
  let target: Awaited<ReturnType<typeof startTarget>>;

  before(async () => {
    process.env.LOADMGR_TEST_SERVER_SECRET = SERVER_SECRET;
    target = await startTarget();
    server = await startSandboxServer();
  });
  after(async () => {
    delete process.env.LOADMGR_TEST_SERVER_SECRET;
    await server?.close();
    target?.server.close();
    target?.server.closeAllConnections();
  });

  it("reads, signals, joins and writes nothing outside its run, while another project's run finishes exactly", async () => {
    await hostileBesideAnother(server, target, {}, SERVER_SECRET, (id) => server.running.localRunner.runDir(id));
  });

  it("ends a fork bomb, a memory hog and a disk filler as Failed, naming the limit; the server stays healthy", async () => {
    const alpha = restClient(server.url, TOKENS.alpha);
    const beta = restClient(server.url, TOKENS.beta);
    const betaTest = await createTest(beta, target.url, plainScript, { ...SCOPE, projectId: "beta" });
    const betaRun = await startRun(beta, betaTest.id, { durationSeconds: 12 });
    const cases: [string, string, RegExp][] = [
      ["fork bomb", FORK_10000, /limit of 64 processes/],
      ["memory hog", ALLOCATE, /memory limit of 400 MB/],
      ["disk filler", FILL_DISK, /files reached their limit of 20 MB/],
    ];
    const runs: LoadTestRun[] = [];
    for (const [name, body] of cases) {
      const test = await createTest(alpha, target.url, abuse(body), { ...SCOPE, projectId: "alpha", name });
      runs.push(await startRun(alpha, test.id, { durationSeconds: 60 }));
    }
    for (const [i, run] of runs.entries()) {
      const [name, , reason] = cases[i] as (typeof cases)[number];
      const end = await waitForRun(alpha, run.id, ended, 60_000);
      assert.equal(end.status, "Failed", `${name}: ${end.status}`);
      assert.match(end.failureReason ?? "", reason, name);
    }
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const betaEnd = await waitForRun(beta, betaRun.id, ended, 60_000);
    assert.equal(betaEnd.status, "Finished", betaEnd.failureReason ?? "");
    const printed = await locustPrintedTotals(server.running.localRunner.runDir(betaRun.id));
    assert.equal(betaEnd.lastMetrics?.totalRequests, printed.requests);
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

describe("run sandbox: the same hostile locustfile through an agent", () => {
  let server: TestServer;
  let target: Awaited<ReturnType<typeof startTarget>>;
  let agent: Agent;

  before(async () => {
    target = await startTarget();
    agent = await startAgent();
    server = await startSandboxServer({
      locustClusters: [{ id: "gen-1", baseUrl: agent.url, authToken: AGENT_TOKEN, ...SCOPE, projectId: "alpha" }],
    });
  });
  after(async () => {
    agent?.process.kill("SIGKILL");
    await server?.close();
    target?.server.close();
    target?.server.closeAllConnections();
    if (agent !== undefined) {
      for (const pid of processesMentioning(agent.dir)) process.kill(pid, "SIGKILL");
      rmSync(agent.dir, { recursive: true, force: true });
    }
  });

  it("gets nothing of the agent's host either: not its token, not the server's files, not the other run", async () => {
    // The agent's token is on its command line: a script that could see the agent's process would find it.
    await hostileBesideAnother(server, target, { locustClusterId: "gen-1" }, AGENT_TOKEN, (id) => join(agent.dir, id));
  });
});
