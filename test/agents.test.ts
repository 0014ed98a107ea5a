import assert from "node:assert/strict";
import { execFile, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import {
  AGENT_WAIT_MS,
  agentInstallCommands,
  type AgentPackage,
  type AgentPool,
  type LoadTestRun,
  type RequestStats,
} from "@loadmgr/shared";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { assertEqualsLocustCsv, removeHosts, spawnAgent, type RunningAgent } from "./helpers/agents.js";
import { createHosts, type Hosts } from "./helpers/hosts.js";
import { freePort } from "./helpers/ports.js";
import {
  createTest,
  ended,
  processesMentioning,
  readCsv,
  reporting,
  SCOPE,
  startRun,
  waitForRun,
} from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";
import { launchBrowser, pageErrors } from "./helpers/browser.js";
import { eventually } from "./helpers/wait.js";

const alive = (agent: { process: ChildProcess }): boolean =>
  agent.process.exitCode === null && agent.process.signalCode === null;

/** The metrics interval of these runs; the silence window is 3 of them + 10 s. */
const INTERVAL_SEC = 1;
const SILENCE_MS = (3 * INTERVAL_SEC + 10) * 1000;

type PoolWithToken = AgentPool & { token: string };

/**
 * Agent pools end to end: real agents (`loadmgr-locust agent --server … --token …`) on hosts of
 * their own (network namespaces the server cannot connect into), one run's master and workers
 * spread over them on Locust's own protocol, real load against a target in the server's namespace.
 */
describe("agent pools: generators that dial out, one run across many hosts", () => {
  let hosts: Hosts;
  let target: TargetApp;
  let server: TestServer;
  let serverUrlForAgents: string;
  let api: ReturnType<typeof restClient>;
  let pool: PoolWithToken;
  const agents: RunningAgent[] = [];

  const startServer = async (port: number, dataDir?: string) =>
    startTestServer(
      {
        server: { host: hosts.namespaced ? "0.0.0.0" : "127.0.0.1", port },
        runner: { metricsIntervalSec: INTERVAL_SEC },
        agents: { queueTimeoutSec: 30 },
      },
      { role: "all", ...(dataDir !== undefined ? { dataDir, keepData: true } : {}) },
    );

  function startAgent(host: number, name: string, token: string, capacity = 2, dir?: string): RunningAgent {
    const agent = spawnAgent(hosts, host, {
      serverUrl: serverUrlForAgents,
      token,
      name,
      capacity,
      // These tests read Locust's CSVs in the master's directory after a run: kept (the default,
      // removed once collected, is tested in test/relay.test.ts). They kill and restart agents and wait
      // for their next calls: an idle agent calls every 5 s here (the default 25 s, in the relay test).
      args: ["--labels", `host=${host}`, "--keep-runs-hours", "1", "--wait-sec", "5"],
      ...(dir !== undefined ? { dir } : {}),
    });
    agents.push(agent);
    return agent;
  }

  async function connectedAgents(): Promise<string[]> {
    const res = await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`);
    return res.body.agents.filter((a) => a.connected).map((a) => a.name);
  }

  async function waitForAgents(names: string[]): Promise<void> {
    const deadline = Date.now() + 20_000;
    let seen: string[] = [];
    while (Date.now() < deadline) {
      seen = await connectedAgents();
      if (names.every((n) => seen.includes(n))) return;
      await sleep(200);
    }
    assert.fail(`agents ${names.join(", ")} did not connect; connected: ${seen.join(", ")}`);
  }

  /** Locust's own end-of-run totals, from the master's CSV on its agent's host. */
  const locustStats = (agent: RunningAgent, runId: string) =>
    readCsv(join(agent.dir, runId, "work", "locust_stats.csv"));
  function locustStatsTotals(agent: RunningAgent, runId: string): { requests: number; failures: number } {
    const row = locustStats(agent, runId).find((r) => r.Name === "Aggregated");
    return { requests: Number(row?.["Request Count"]), failures: Number(row?.["Failure Count"]) };
  }

  const agentHolding = (run: LoadTestRun, role: "master" | "worker"): RunningAgent => {
    const entry = run.placement.find((e) => e.role === role);
    const agent = agents.find((a) => a.name === entry?.agentName && alive(a));
    assert.ok(agent, `no running agent holds the ${role} of ${run.id}: ${JSON.stringify(run.placement)}`);
    return agent;
  };

  before(async () => {
    hosts = createHosts(3);
    target = await startTargetApp(hosts.namespaced ? "0.0.0.0" : "127.0.0.1", hosts.hostIp);
    const port = await freePort();
    server = await startServer(port);
    serverUrlForAgents = `http://${hosts.hostIp}:${port}`;
    api = restClient(server.url);
    const created = await api.post<PoolWithToken>("/v1/agent-pools", { name: "eu", ...SCOPE });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    pool = created.body;
    startAgent(0, "gen-a", pool.token);
    startAgent(1, "gen-b", pool.token);
    startAgent(2, "gen-c", pool.token);
    await waitForAgents(["gen-a", "gen-b", "gen-c"]);
  });

  after(() =>
    removeHosts(hosts, agents, async () => {
      await server.close();
      await target.close();
    }),
  );

  it("shows the pool's token once and its agents with what they reported", async () => {
    assert.match(pool.token, /^lmp_/);
    const listed = await api.get<{ items: (AgentPool & { token?: string })[] }>("/v1/agent-pools");
    const mine = listed.body.items.find((p) => p.id === pool.id);
    assert.ok(mine);
    assert.equal(mine.token, undefined, "the token is shown only when made");
    assert.equal(mine.tokenState, "active");
    const a = mine.agents.find((x) => x.name === "gen-a");
    assert.ok(a);
    assert.equal(a.capacity, 2);
    assert.deepEqual(a.labels, { host: "0" });
    assert.equal(a.address, hosts.ips[0]);
    assert.equal(a.version, "0.1.0");
  });

  it("lists pools and agents in the CLI", async () => {
    const loadmgr = (...args: string[]) =>
      new Promise<{ code: number; stdout: string }>((resolve) => {
        execFile(
          process.execPath,
          [join(import.meta.dirname, "../client/bin/loadmgr.js"), ...args],
          {
            env: { PATH: process.env.PATH ?? "", HOME: tmpdir(), LOADMGR_URL: server.url, LOADMGR_TOKEN: ADMIN_TOKEN },
          },
          (error, stdout) => resolve({ code: error === null ? 0 : Number(error.code), stdout }),
        );
      });
    const agentsOut = await loadmgr("agents", "list", "--pool", pool.id);
    assert.equal(agentsOut.code, 0);
    const lines = agentsOut.stdout.trim().split("\n");
    assert.match(lines[0] ?? "", /^pool\s+name\s+state\s+address\s+capacity\s+busy\s+labels\s+version\s+running$/);
    for (const [i, name] of ["gen-a", "gen-b", "gen-c"].entries()) {
      const line = lines.find((l) => l.includes(` ${name} `)) ?? "";
      assert.match(
        line,
        new RegExp(
          `^eu\\s+${name}\\s+connected\\s+${hosts.ips[i]?.replaceAll(".", "\\.")}\\s+2\\s+0\\s+host=${i}\\s+0\\.1\\.0`,
        ),
      );
    }
    const poolsOut = await loadmgr("pools", "list", "--json");
    assert.equal(poolsOut.code, 0);
    const listed = JSON.parse(poolsOut.stdout) as AgentPool[];
    assert.equal(listed.find((p) => p.id === pool.id)?.agents.length, 3);
    // A new pool: its token once, with the commands that install the server's wheel and start an agent.
    const made = await loadmgr(
      "pools",
      "create",
      "--name",
      "cli-made",
      "--account",
      "acme",
      "--org",
      "web",
      "--project",
      "shop",
    );
    assert.equal(made.code, 0, made.stdout);
    const token = /^(lmp_\S+)$/m.exec(made.stdout)?.[1] ?? "";
    const wheel = (await api.get<AgentPackage>("/v1/agent-package")).body;
    for (const line of agentInstallCommands(server.url, wheel, token)) {
      assert.ok(made.stdout.includes(`  ${line}\n`), `${line} in:\n${made.stdout}`);
    }
    const madeId = /^pool (\S+) \(cli-made\) created/m.exec(made.stdout)?.[1] ?? "";
    const deleted = await loadmgr("pools", "delete", madeId);
    assert.equal(deleted.code, 0, deleted.stdout);
    assert.match(deleted.stdout, new RegExp(`pool ${madeId} deleted`));
    assert.equal((await api.get(`/v1/agent-pools/${madeId}`)).status, 404);
  });

  it("deletes a pool only when none of its runs is active, and forgets only a disconnected agent", async () => {
    const made = await api.post<PoolWithToken>("/v1/agent-pools", { name: "short-lived", ...SCOPE });
    assert.equal(made.status, 201);
    const sync = (token: string) =>
      fetch(`${server.url}/v1/internal/agents/sync`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({
          name: "ghost",
          instanceId: "instance-ghost-1",
          capacity: 1,
          version: "0.1.0",
          address: "10.0.0.8",
          runs: [],
          waitMs: 0,
          sentAt: Date.now(),
        }),
      });
    assert.equal((await sync(made.body.token)).status, 200);
    const [ghost] = (await api.get<AgentPool>(`/v1/agent-pools/${made.body.id}`)).body.agents;
    assert.ok(ghost?.connected);
    const connected = await api.del<{ code: string }>(`/v1/agent-pools/${made.body.id}/agents/${ghost.id}`);
    assert.deepEqual([connected.status, connected.body.code], [409, "AGENT_CONNECTED"]);
    // A run of the pool (waiting: its one agent is too small) keeps it.
    const test = await createTest(api, target.url, locustScript("/short-lived"), { agentPool: made.body.id });
    const waiting = await startRun(api, test.id, { workers: 4, durationSec: 5 });
    const busy = await api.del<{ code: string; message: string }>(`/v1/agent-pools/${made.body.id}`);
    assert.deepEqual([busy.status, busy.body.code], [409, "AGENT_POOL_IN_USE"]);
    assert.match(busy.body.message, /short-lived has 1 active run: stop it first/);
    await api.post(`/v1/runs/${waiting.id}/stop`);
    await waitForRun(api, waiting.id, ended, 10_000);
    // Revoked, its agent counts as gone at once: forgotten, then the pool deleted; the agent's token names nothing.
    await api.del(`/v1/agent-pools/${made.body.id}/token`);
    const forgotten = await api.del<{ deleted: boolean }>(`/v1/agent-pools/${made.body.id}/agents/${ghost.id}`);
    assert.deepEqual([forgotten.status, forgotten.body.deleted], [200, true]);
    assert.equal((await api.del(`/v1/agent-pools/${made.body.id}/agents/${ghost.id}`)).status, 404);
    const gone = await api.del<{ deleted: boolean }>(`/v1/agent-pools/${made.body.id}`);
    assert.deepEqual([gone.status, gone.body.deleted], [200, true]);
    assert.equal((await api.get(`/v1/agent-pools/${made.body.id}`)).status, 404);
    assert.equal((await sync(made.body.token)).status, 401);
  });

  it("refuses an agent whose clock is off from the server's, saying by how much, and records nothing of it", async () => {
    for (const [skewMs, says] of [
      [-30_000, /clock-off's clock is 3\d\.\d s behind the server's/],
      [45_000, /clock-off's clock is 4\d\.\d s ahead of the server's/],
    ] as const) {
      const res = await fetch(`${server.url}/v1/internal/agents/sync`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${pool.token}` },
        body: JSON.stringify({
          name: "clock-off",
          instanceId: "instance-clock-off",
          capacity: 2,
          version: "0.1.0",
          address: "10.0.0.9",
          runs: [],
          waitMs: 0,
          sentAt: Date.now() + skewMs,
        }),
      });
      const body = (await res.json()) as { code: string; message: string; field: string };
      assert.equal(res.status, 409);
      assert.deepEqual([body.code, body.field], ["AGENT_CLOCK_SKEW", "sentAt"]);
      assert.match(body.message, says);
      assert.match(body.message, /keep it in step \(NTP\)/);
    }
    const listed = (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents.map((a) => a.name);
    assert.ok(!listed.includes("clock-off"), listed.join(", "));
  });

  it("refuses bad pools and tests naming pools they may not use, storing nothing", async () => {
    const bad = await api.post("/v1/agent-pools", { name: "", ...SCOPE });
    assert.equal(bad.status, 400);
    const unknown = await api.post("/v1/load-tests", {
      ...SCOPE,
      name: "x",
      targetUrl: target.url,
      scriptContent: Buffer.from(locustScript("/x")).toString("base64"),
      agentPool: "no-such-pool",
    });
    assert.equal(unknown.status, 400);
    assert.equal((unknown.body as { code: string }).code, "UNKNOWN_AGENT_POOL");
    const otherProject = await api.post("/v1/load-tests", {
      ...SCOPE,
      projectId: "elsewhere",
      name: "x",
      targetUrl: target.url,
      scriptContent: Buffer.from(locustScript("/x")).toString("base64"),
      agentPool: pool.id,
    });
    assert.equal(otherProject.status, 400);
    assert.equal((otherProject.body as { code: string }).code, "UNKNOWN_AGENT_POOL");
    const local = await createTest(api, target.url, locustScript("/local"));
    const workersOffPool = await api.post(`/v1/load-tests/${local.id}/runs`, { workers: 2 });
    assert.equal(workersOffPool.status, 400);
    assert.equal((workersOffPool.body as { field?: string }).field, "workers");
    const wrongSync = await fetch(`${server.url}/v1/internal/agents/sync`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer lmp_${pool.id}_${"x".repeat(32)}` },
      body: JSON.stringify({
        name: "intruder",
        instanceId: "12345678",
        capacity: 1,
        version: "0",
        address: "x",
        runs: [],
      }),
    });
    assert.equal(wrongSync.status, 401);
    // A second process under a connected agent's name is refused, and the agent keeps its record.
    const twin = await fetch(`${server.url}/v1/internal/agents/sync`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${pool.token}` },
      body: JSON.stringify({
        name: "gen-a",
        instanceId: "twin-0001",
        capacity: 9,
        version: "0",
        address: "x",
        runs: [],
      }),
    });
    assert.equal(twin.status, 409);
    assert.equal(((await twin.json()) as { code: string }).code, "AGENT_NAME_TAKEN");
    const genA = (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents.find((a) => a.name === "gen-a");
    assert.equal(genA?.capacity, 2);
    assert.ok(!(await connectedAgents()).includes("intruder"));
  });

  it("spreads one run's master and workers over the agents; counts and percentiles are Locust's own", async () => {
    const test = await createTest(api, target.url, locustScript("/spread"), { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 4, durationSec: 5, targetUsers: 8, spawnRate: 8 });
    assert.equal(run.agentPool, pool.id);
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.equal(done.workers, 4);
    const hostsUsed = new Set(done.placement.map((e) => e.agentName));
    assert.ok(hostsUsed.size >= 2, `spread over ${[...hostsUsed].join(", ")}`);
    assert.equal(done.placement.filter((e) => e.role === "master").length, 1);
    assert.equal(
      done.placement.filter((e) => e.role === "worker").reduce((n, e) => n + e.processes, 0),
      4,
    );
    assert.ok(hosts.ips.includes(done.masterEndpoint?.split(":")[0] ?? ""), `master at ${done.masterEndpoint}`);
    assert.deepEqual(done.warnings, []);
    // One snapshot per interval whatever the worker count: never more than the run's seconds allow.
    const snapshots = await server.metricsStore.listMetricSnapshots(run.id);
    assert.ok(snapshots.length <= 5 / INTERVAL_SEC + 4, `${snapshots.length} snapshots for a 5 s run`);
    const master = agentHolding(done, "master");
    await eventually(() => existsSync(join(master.dir, run.id, "exit.json")), 20_000, "the master's supervisor to end");
    const locust = locustStatsTotals(master, run.id);
    assert.ok(locust.requests > 0);
    assert.equal(done.lastMetrics?.totalRequests, locust.requests);
    assert.equal(done.lastMetrics?.totalFailures, locust.failures);
    assert.equal(done.results?.totalRequests, locust.requests);
    // Per endpoint and in total, the counts and percentiles are Locust's own, to the bucket.
    const rows = locustStats(master, run.id);
    await assertEqualsLocustCsv(api, run.id, rows);
  });

  it("shares a split CSV over every worker of every agent, and gives each worker the test's secret", async () => {
    const put = await api.put("/v1/secrets/POOL_KEY", { ...SCOPE, value: "pool-secret-value" });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    const script = `import os, uuid
from locust import FastHttpUser, constant, task
ROWS = open("data/ids.csv").read().splitlines()[1:]
WORKER = uuid.uuid4().hex[:10]
KEY_OK = os.environ.get("POOL_KEY") == "pool-secret-value"

class Visitor(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def rows(self):
        for row in ROWS:
            self.client.get(f"/row/{row}/{WORKER}", name="/row")
        self.client.get("/key-ok" if KEY_OK else "/key-missing")
`;
    const ids = Array.from({ length: 8 }, (_, i) => `id${i}`);
    const test = await createTest(api, target.url, script, {
      agentPool: pool.id,
      files: [
        { path: "data/ids.csv", contentBase64: Buffer.from(`id\n${ids.join("\n")}\n`).toString("base64"), split: true },
      ],
      secrets: ["POOL_KEY"],
    });
    const run = await startRun(api, test.id, { workers: 4, durationSec: 5, targetUsers: 8, spawnRate: 8 });
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    const workerAgents = done.placement.filter((e) => e.role === "worker");
    assert.ok(workerAgents.length >= 2, `workers on ${workerAgents.map((e) => e.agentName).join(", ")}`);
    const workersByRow = new Map<string, Set<string>>();
    for (const path of target.hits.keys()) {
      const m = /^\/row\/(id\d)\/([0-9a-f]{10})$/.exec(path);
      if (m?.[1] === undefined || m[2] === undefined) continue;
      workersByRow.set(m[1], (workersByRow.get(m[1]) ?? new Set()).add(m[2]));
    }
    assert.deepEqual([...workersByRow.keys()].sort(), ids);
    for (const [row, workers] of workersByRow) assert.equal(workers.size, 1, `${row} read by ${workers.size} workers`);
    assert.equal(
      new Set([...workersByRow.values()].flatMap((w) => [...w])).size,
      4,
      "each of the 4 workers had 2 rows",
    );
    assert.ok((target.hits.get("/key-ok") ?? 0) > 0);
    assert.equal(target.hits.get("/key-missing"), undefined);
  });

  it("the server cannot open a connection to an agent, while the agents reach each other", async (t) => {
    if (!hosts.namespaced) {
      t.skip("no network namespaces here: the agents share the server's loopback");
      return;
    }
    const test = await createTest(api, target.url, locustScript("/reach"), { agentPool: pool.id });
    // Long enough that it ends by the stop below, however slow this machine is: that stop is the point.
    const run = await startRun(api, test.id, { workers: 2, durationSec: 600 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    assert.ok(running.masterEndpoint, "the master's endpoint is recorded");
    // The workers on other hosts reached the master there (the run reports load)…
    assert.ok(running.placement.some((e) => e.role === "worker" && e.agentName !== running.placement[0]?.agentName));
    // …and the server's namespace cannot open a connection to that same port.
    const [host, port] = [running.masterEndpoint.split(":")[0] ?? "", Number(running.masterEndpoint.split(":")[1])];
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect({ host, port, timeout: 2000 });
      socket.once("connect", () => {
        socket.destroy();
        resolve("connected");
      });
      socket.once("timeout", () => {
        socket.destroy();
        resolve("timed out");
      });
      socket.once("error", (error) => resolve(error.message));
    });
    assert.notEqual(outcome, "connected");
    const stopping = await api.post<LoadTestRun>(`/v1/runs/${run.id}/stop`);
    assert.equal(stopping.body.status, "Stopping", "the stop reached a run still running");
    const stopped = await waitForRun(api, run.id, ended, 40_000);
    assert.equal(stopped.status, "Stopped", stopped.failureReason ?? "");
  });

  it("seals a pool run on every agent: no root, and nothing reachable but its target and its master", async () => {
    // Every Locust process of the run (the master's agent and the workers' agents) tries the server,
    // the other agents' hosts and cloud metadata, and tells the target what it got: /probe/<what>/<outcome>.
    const serverPort = new URL(serverUrlForAgents).port;
    const others = hosts.ips.map((ip, i) => `("agent ${i}", "${ip}", 22)`).join(", ");
    const script = `import os, socket
from locust import FastHttpUser, constant, events, task


@events.test_start.add_listener
def _probe(environment, **_kwargs):
    tries = [("server", "${hosts.hostIp}", ${serverPort}), ("metadata", "169.254.169.254", 80), ${others}]
    root = "root" if os.getuid() == 0 or os.geteuid() == 0 else "unprivileged"
    outcomes = [("uid", root)]
    for label, host, port in tries:
        sock = socket.socket()
        sock.settimeout(3)
        try:
            sock.connect((host, port))
            outcomes.append((label, "reached"))
        except OSError as error:
            outcomes.append((label, "refused" if "loadmgr:" in str(error) else "failed"))
        finally:
            sock.close()
    import urllib.request
    for label, outcome in outcomes:
        urllib.request.urlopen(environment.host + f"/probe/{label.replace(' ', '-')}/{outcome}", timeout=5).read()


class Visitor(FastHttpUser):
    wait_time = constant(0.1)

    @task
    def page(self):
        self.client.get("/sealed")
`;
    const test = await createTest(api, target.url, script, { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 4, durationSec: 4 });
    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.ok(new Set(done.placement.map((e) => e.agentName)).size >= 2, "the run spread over agents");
    // Master and every worker: five processes, each unprivileged, each refused by its broker everywhere.
    const probes = [...target.hits.entries()].filter(([path]) => path.startsWith("/probe/"));
    assert.equal(target.hits.get("/probe/uid/unprivileged"), 5, JSON.stringify(probes));
    assert.equal(target.hits.get("/probe/uid/root"), undefined);
    for (const label of ["server", "metadata", ...hosts.ips.map((_, i) => `agent-${i}`)]) {
      assert.equal(target.hits.get(`/probe/${label}/refused`), 5, `${label}: ${JSON.stringify(probes)}`);
    }
    assert.ok((target.hits.get("/sealed") ?? 0) > 0, "the load reached the target all the same");
  });

  it("waits, visibly, when the pool is too small, and starts in order as capacity frees", async () => {
    const test = await createTest(api, target.url, locustScript("/queue"), { agentPool: pool.id });
    const big = await startRun(api, test.id, { workers: 4, durationSec: 6 });
    await waitForRun(api, big.id, (r) => r.launchedAt !== null, 20_000);
    // 6 slots, 5 taken: a run needing 4 waits, and says for what.
    const next = await startRun(api, test.id, { workers: 3, durationSec: 2 });
    const waiting = await waitForRun(api, next.id, (r) => r.waitingReason !== null, 10_000);
    assert.equal(waiting.status, "Pending");
    assert.match(waiting.waitingReason ?? "", /^waiting for 4 slots in pool eu \(3 workers \+ the master; 1 free\)$/);
    // One that can never fit waits too, then fails after agents.queueTimeoutSec (30 s here) with the reason.
    const never = await startRun(api, test.id, { workers: 50, durationSec: 2 });
    const bigDone = await waitForRun(api, big.id, ended, 60_000);
    assert.equal(bigDone.status, "Finished", bigDone.failureReason ?? "");
    const nextDone = await waitForRun(api, next.id, ended, 60_000);
    assert.equal(nextDone.status, "Finished", nextDone.failureReason ?? "");
    assert.ok(
      (nextDone.launchedAt ?? 0) >= (bigDone.finishedAt ?? Infinity) - 3000,
      "it started as the first freed its slots",
    );
    const neverDone = await waitForRun(api, never.id, ended, 60_000);
    assert.equal(neverDone.status, "Failed");
    assert.match(neverDone.failureReason ?? "", /waited \d+ s for the agent pool.*waiting for 51 slots in pool eu/);
  });

  it("goes on without an agent that held workers and dies, with a warning; fails below minWorkers", async () => {
    const test = await createTest(api, target.url, locustScript("/lose-worker"), { agentPool: pool.id });
    // Master and a worker on one agent, the other workers elsewhere: kill a host that holds workers only.
    // (Both runs here are ended by what the test does, a stop and a loss: their duration is only a bound,
    // long enough that neither ends by it first on a slow machine.)
    const run = await startRun(api, test.id, { workers: 4, durationSec: 180 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    const masterAgent = agentHolding(running, "master").name;
    const victimEntry = running.placement.find((e) => e.role === "worker" && e.agentName !== masterAgent);
    assert.ok(victimEntry);
    const victim = agents.find((a) => a.name === victimEntry.agentName && alive(a)) as RunningAgent;
    hosts.killAll(victim.host);
    const warned = await waitForRun(api, run.id, (r) => r.warnings.length > 0 || ended(r), SILENCE_MS + 20_000);
    assert.equal(warned.status, "Running", warned.failureReason ?? "");
    assert.match(
      warned.warnings[0]?.message ?? "",
      new RegExp(`lost ${victimEntry.processes} worker process.*agent ${victim.name}`),
    );
    assert.ok(warned.placement.find((e) => e.agentName === victim.name)?.lostAt);
    // The run page shows the warning, and where the run runs with the lost agent struck through.
    const browser = await launchBrowser();
    try {
      const page = await browser.newPage();
      const errors = pageErrors(page);
      await page.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
      await page.goto(`${server.url}/#/runs/${run.id}`);
      const warnings = page.getByTestId("run-warnings");
      await warnings.waitFor({ timeout: 20_000 });
      assert.match(
        (await warnings.textContent()) ?? "",
        new RegExp(`lost ${victimEntry.processes} worker process.*agent ${victim.name}`),
      );
      assert.equal(
        await page.locator('[data-testid="placement"] del').textContent(),
        `${victim.name} ×${victimEntry.processes}`,
      );
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
    await api.post(`/v1/runs/${run.id}/stop`);
    assert.equal((await waitForRun(api, run.id, ended, 40_000)).status, "Stopped");

    // The host comes back; now a run that needs at least 4 workers loses 2 of them and fails.
    startAgent(victim.host, victim.name, pool.token);
    await waitForAgents([victim.name]);
    const strict = await startRun(api, test.id, { workers: 4, minWorkers: 4, durationSec: 180 });
    const strictRunning = await waitForRun(api, strict.id, reporting, 60_000);
    const strictMaster = agentHolding(strictRunning, "master").name;
    const strictVictim = strictRunning.placement.find((e) => e.role === "worker" && e.agentName !== strictMaster);
    assert.ok(strictVictim);
    const second = agents.find((a) => a.name === strictVictim.agentName && alive(a)) as RunningAgent;
    hosts.killAll(second.host);
    const failed = await waitForRun(api, strict.id, ended, SILENCE_MS + 20_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /fewer than minWorkers \(4\)/);
    startAgent(second.host, second.name, pool.token);
    await waitForAgents([second.name]);
  });

  it("takes an agent's run parts with it when it is killed outright; its next process holds none of them", async () => {
    const test = await createTest(api, target.url, locustScript("/agent-killed"), { agentPool: pool.id });
    // Longer than both kills can take on a busy machine: the run is stopped once they are done.
    const run = await startRun(api, test.id, { workers: 4, durationSec: 300 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    const master = agentHolding(running, "master");
    const others = running.placement.filter((e) => e.role === "worker" && e.agentName !== master.name);
    assert.equal(others.length, 2, JSON.stringify(running.placement));
    const partsOn = (agent: RunningAgent) => processesMentioning(join(agent.dir, `${run.id}.workers`));
    const started = (agent: RunningAgent) => agent.output().split(`run ${run.id}: started`).length - 1;

    for (const [entry, restartAfterMs] of [
      [others[0], 1000],
      [others[1], SILENCE_MS + 5000],
    ] as const) {
      const victim = agents.find((a) => a.name === entry?.agentName && alive(a)) as RunningAgent;
      assert.ok(partsOn(victim).length > 0, `agent ${victim.name} runs workers of the run`);
      // The agent alone is killed (SIGKILL: no cleanup of its own); its run's processes end with it.
      victim.process.kill("SIGKILL");
      await eventually(() => partsOn(victim).length === 0, 15_000, `the workers of killed agent ${victim.name} to end`);
      await sleep(restartAfterMs);
      const killedAt = Date.now();
      const next = startAgent(victim.host, victim.name, pool.token, 2, victim.dir);
      await waitForAgents([victim.name]);
      if (restartAfterMs < SILENCE_MS) {
        // Its next process on the same directory is taken at once, not after the silence window.
        assert.ok(Date.now() - killedAt < SILENCE_MS, `connected ${Date.now() - killedAt} ms after its restart`);
      }
      const warned = await waitForRun(
        api,
        run.id,
        (r) => r.placement.find((e) => e.agentName === victim.name)?.lostAt != null || ended(r),
        SILENCE_MS + 20_000,
      );
      assert.equal(warned.status, "Running", warned.failureReason ?? "");
      assert.match(
        warned.warnings.at(-1)?.message ?? "",
        new RegExp(`lost ${entry?.processes ?? 0} worker process(es)?: agent ${victim.name}`),
      );
      // Two of its calls later, the new process has started nothing of the run again.
      const seen = (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents.find(
        (a) => a.name === victim.name,
      );
      // (Its calls are held up to its wait, at most AGENT_WAIT_MS: its next call says it had the
      // answer to the one before and did what that said.)
      let latest = seen;
      const deadline = Date.now() + AGENT_WAIT_MS + 20_000;
      while ((latest?.lastSeenAt ?? 0) <= (seen?.lastSeenAt ?? 0) && Date.now() < deadline) {
        await sleep(200);
        latest = (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents.find(
          (a) => a.name === victim.name,
        );
      }
      assert.ok((latest?.lastSeenAt ?? 0) > (seen?.lastSeenAt ?? 0), "the agent called in again");
      assert.equal(started(next), 0, next.output());
      assert.equal(partsOn(next).length, 0);
    }
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${run.id}`)).body.status, "Running");
    assert.equal((await api.post<LoadTestRun>(`/v1/runs/${run.id}/stop`)).status, 200);
    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Stopped", done.failureReason ?? "");
    // Every request the run's Locust counted, and no more: the master's CSV is the whole run's.
    const requests = (await api.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    // Locust writes its CSV as it goes and last as it exits: read once its supervisor has ended.
    await eventually(() => existsSync(join(master.dir, run.id, "exit.json")), 20_000, "the master's supervisor to end");
    assert.equal(requests.total.numRequests, locustStatsTotals(master, run.id).requests);
  });

  it("fails within 3 intervals + 10 s when the master's host dies, and stops the run everywhere else", async () => {
    const test = await createTest(api, target.url, locustScript("/lose-master"), { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 4, durationSec: 60 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    const master = agentHolding(running, "master");
    const killedAt = Date.now();
    hosts.killAll(master.host);
    const failed = await waitForRun(api, run.id, ended, SILENCE_MS + 20_000);
    const tookMs = Date.now() - killedAt;
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", new RegExp(`agent ${master.name}.*master|no metrics`));
    // The bound, plus one sweep (2 s) and this test's polling.
    assert.ok(tookMs <= SILENCE_MS + 3000, `failed ${tookMs} ms after the master's host died`);
    for (const other of agents.filter((a) => a.name !== master.name && alive(a))) {
      await eventually(
        () => processesMentioning(join(other.dir, run.id)).length === 0,
        15_000,
        `agent ${other.name} to stop its processes of the run`,
      );
    }
    startAgent(master.host, master.name, pool.token);
    await waitForAgents([master.name]);
  });

  it("ends a hung pool run by the silence rule, as on one host, and clears it off every agent", async () => {
    // The master's own event loop hangs once its first snapshot is delivered: it reports nothing more.
    const hangsMaster = `${locustScript("/hang")}

from locust import events
from locust.runners import MasterRunner


@events.test_start.add_listener
def hang_master(environment, **_kwargs):
    if isinstance(environment.runner, MasterRunner):
        import gevent

        def hang():
            reporter = environment.loadmgr_reporter
            while reporter.seq < 1 or reporter.delivery.pending > 0:
                gevent.sleep(0.1)
            while True:
                pass

        gevent.spawn(hang)
`;
    const test = await createTest(api, target.url, hangsMaster, { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 2, durationSec: 120, targetUsers: 2, spawnRate: 2 });
    await waitForRun(api, run.id, reporting, 60_000);
    const failed = await waitForRun(api, run.id, ended, SILENCE_MS + 20_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /no metrics from Locust/);
    for (const agent of agents.filter(alive)) {
      await eventually(
        () => processesMentioning(join(agent.dir, run.id)).length === 0,
        35_000,
        `agent ${agent.name} to clear the run's processes (asked to stop, killed 15 s later)`,
      );
    }
  });

  it("fails a pool run that cannot start because an agent holding its workers was lost first", async (t) => {
    if (!hosts.namespaced) {
      t.skip("no network namespaces here: a loopback agent cannot be cut off");
      return;
    }
    // Ties go to the first name: the master lands on gen-a, so gen-c holds workers only.
    const victim = agents.find((a) => a.name === "gen-c" && alive(a)) as RunningAgent;
    const test = await createTest(api, target.url, locustScript("/never"), { agentPool: pool.id });
    // Cut off, it still counts as connected for its silence window: the run is placed on it, and its
    // master waits for workers that never come.
    hosts.setLink(victim.host, false);
    try {
      const run = await startRun(api, test.id, { workers: 5, durationSec: 30 });
      const failed = await waitForRun(api, run.id, ended, SILENCE_MS + 20_000);
      assert.equal(failed.status, "Failed");
      assert.match(
        failed.failureReason ?? "",
        /^the run could not start: agent gen-c has not called in for \d+ s \(\d of its workers\)/,
      );
      assert.equal(failed.placement.find((e) => e.role === "master")?.agentName, "gen-a");
    } finally {
      hosts.setLink(victim.host, true);
    }
    await waitForAgents(["gen-c"]);
  });

  it("keeps a run through a network cut shorter than the silence window, losing nothing", async (t) => {
    if (!hosts.namespaced) {
      t.skip("no network namespaces here: a loopback agent cannot be cut off");
      return;
    }
    const test = await createTest(api, target.url, locustScript("/cut"), { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 4, durationSec: 14 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    const master = agentHolding(running, "master");
    // The master's own host: its reports to the server wait out the cut, its workers elsewhere too.
    hosts.setLink(master.host, false);
    await sleep(5000);
    hosts.setLink(master.host, true);
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.deepEqual(done.warnings, []);
    await eventually(() => existsSync(join(master.dir, run.id, "exit.json")), 20_000, "the master to end");
    const locust = locustStatsTotals(master, run.id);
    assert.equal(done.lastMetrics?.totalRequests, locust.requests);
    assert.equal(done.results?.totalRequests, locust.requests);
  });

  it("adopts a pool run after the server was down longer than the silence window: the agents dial in again", async () => {
    const test = await createTest(api, target.url, locustScript("/restart"), { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 2, durationSec: 35 });
    const running = await waitForRun(api, run.id, reporting, 60_000);
    const master = agentHolding(running, "master");
    const port = Number(new URL(server.url).port);
    const dataDir = server.dataDir;
    await server.running.close();
    // Down for longer than an agent may be silent: the time nobody could be heard is not held against them.
    await sleep(SILENCE_MS + 7000);
    server = await startServer(port, dataDir);
    api = restClient(server.url);
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.deepEqual(done.warnings, []);
    // Every snapshot Locust held back while the server was away came in: the totals are Locust's own.
    const requests = (await api.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    // Locust writes its CSV as it goes and last as it exits: read once its supervisor has ended.
    await eventually(() => existsSync(join(master.dir, run.id, "exit.json")), 20_000, "the master's supervisor to end");
    assert.equal(requests.total.numRequests, locustStatsTotals(master, run.id).requests);
    await waitForAgents(["gen-a", "gen-b", "gen-c"]);
  });

  it("lets agents on a rotated token finish their runs, then enroll anew; a revoke ends the pool's runs, saying so", async () => {
    const test = await createTest(api, target.url, locustScript("/rotated"), { agentPool: pool.id });
    const run = await startRun(api, test.id, { workers: 2, durationSec: 12 });
    await waitForRun(api, run.id, reporting, 60_000);
    const onOld = agents.filter((a) => alive(a));
    const rotated = await api.post<PoolWithToken>(`/v1/agent-pools/${pool.id}/token`);
    assert.equal(rotated.status, 200);
    assert.notEqual(rotated.body.token, pool.token);
    // The run goes on to its end on the agents of the old token...
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.deepEqual(done.warnings, []);
    // ...which then, holding nothing, are told to start again with the new one.
    await eventually(() => onOld.every((a) => a.process.exitCode !== null), 30_000, "the old token's agents to exit");
    for (const agent of onOld) {
      assert.equal(agent.process.exitCode, 3);
      assert.match(agent.output(), /was rotated: this agent has finished what it held; start it with the new token/);
    }
    // New work needs the new token: an agent on the old one is refused at once.
    const stale = startAgent(1, "gen-old", pool.token);
    await eventually(() => stale.process.exitCode !== null, 10_000, "an agent with the old token to be refused");
    assert.equal(stale.process.exitCode, 3);
    startAgent(0, "gen-a2", rotated.body.token);
    await waitForAgents(["gen-a2"]);

    // A revoke: the pool's running run ends at once, saying why, and every agent is disconnected.
    const last = await startRun(api, test.id, { workers: 1, durationSec: 60 });
    await waitForRun(api, last.id, reporting, 60_000);
    const live = agents.filter((a) => alive(a));
    const revoked = await api.del<AgentPool>(`/v1/agent-pools/${pool.id}/token`);
    assert.equal(revoked.status, 200);
    assert.equal(revoked.body.tokenState, "revoked");
    const failed = await waitForRun(api, last.id, ended, 10_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /the enrollment token of agent pool eu was revoked by admin/);
    await eventually(() => live.every((a) => a.process.exitCode !== null), 10_000, "the agents to exit");
    for (const agent of live) {
      assert.equal(agent.process.exitCode, 3);
      assert.match(agent.output(), /revoked/);
    }
  });
});
