// One run spread over 1, 2 and 4 agents of a pool: the run's total requests/s (Locust's own count,
// as the server stores it) and the server's CPU for the run, per second of run. The agents are
// `loadmgr-locust agent --server …` processes, each on a host of its own (a network namespace, as in
// test/agents.test.ts; on loopback where namespaces cannot be made). Each agent runs one Locust worker;
// the first also runs the master. The target is a bare Node HTTP server in a process of its own.
// On one machine every agent shares its cores: the figures show the control plane's cost, and where
// this host's CPUs run out, not what separate hosts would add.
// With --links direct,relay each count runs both ways, alternating: workers connecting to the master's
// host directly, and (agents started with --no-inbound) through the server's relay; the relay's bytes
// come from the server's /metrics (loadmgr_relay_bytes_total).
//   node --import tsx scripts/bench/scale-out.ts [rounds=2] [seconds=15] [users=40] [--counts 1,2,4] [--links direct]
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeScript, isTerminal, type AgentPool, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { DEFAULT_AGENT_COMMAND as DEFAULT_LOCAL_COMMAND } from "../../server/src/agents/localAgent.js";
import { createHosts } from "../../test/helpers/hosts.js";
import { freePort } from "../../test/helpers/ports.js";
import { ADMIN_TOKEN, restClient, startTestServer } from "../../test/helpers/server.js";
import { printCalibration } from "./calibration.js";

import { parseArgs } from "node:util";

await printCalibration();

const { values, positionals } = parseArgs({
  options: { counts: { type: "string", default: "1,2,4" }, links: { type: "string", default: "direct" } },
  allowPositionals: true,
});
const [rounds = 2, seconds = 15, users = 40] = positionals.map(Number);
const COUNTS = (values.counts ?? "").split(",").map(Number);
type Link = "direct" | "relay";
const LINKS = (values.links ?? "").split(",") as Link[];
const MODES = COUNTS.flatMap((count) => LINKS.map((link) => ({ count, link })));
const hosts = createHosts(Math.max(...COUNTS));
const scope = { accountId: "bench", orgId: "bench", projectId: "scale" };

// The target: a bare HTTP server, its CPU apart from the server's.
const targetPort = await freePort();
const target = spawn(
  process.execPath,
  [
    "-e",
    `require("http").createServer((q, s) => s.end("ok")).listen(${targetPort}, ${JSON.stringify(hosts.namespaced ? "0.0.0.0" : "127.0.0.1")})`,
  ],
  { stdio: "ignore" },
);
const port = await freePort();
const server = await startTestServer(
  { server: { host: hosts.namespaced ? "0.0.0.0" : "127.0.0.1", port }, agents: { queueTimeoutSec: 120 } },
  { role: "all" },
);
const api = restClient(server.url);
const pool = (await api.post<AgentPool & { token: string }>("/v1/agent-pools", { name: "bench", ...scope })).body;
const test = (
  await api.post<LoadTest>("/v1/load-tests", {
    ...scope,
    name: "scale-out",
    targetUrl: `http://${hosts.hostIp}:${targetPort}`,
    agentPool: pool.id,
    autoStop: null,
    maxDurationSec: 3600,
    scriptContent: encodeScript(`from locust import FastHttpUser, task


class Bench(FastHttpUser):
    @task
    def hit(self):
        self.client.get("/bench")
`),
  })
).body;

async function connected(): Promise<number> {
  const res = await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`);
  return res.body.agents.filter((a) => a.connected).length;
}

/** Bytes the server's relay has carried since it started. */
async function relayedBytes(): Promise<number> {
  const text = await (
    await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
  ).text();
  return Number(/^loadmgr_relay_bytes_total (\d+)/m.exec(text)?.[1] ?? 0);
}

interface Figures {
  rps: number;
  cpuPerSec: number;
  snapshots: number;
  /** POST …/runs to Running, ms. */
  startMs: number;
  /** Relayed bytes per second of run, per remote worker (0 when direct). */
  relayPerWorkerSec: number;
}

/** Starts `count` agents (capacity 2 each), runs once, and answers its requests/s and the server's CPU per run second. */
async function measure(count: number, link: Link, round: number): Promise<Figures> {
  const dirs: string[] = [];
  const agents: ChildProcess[] = [];
  for (let i = 0; i < count; i++) {
    const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-agent-"));
    dirs.push(dir);
    const args = ["agent", "--server", `http://${hosts.hostIp}:${port}`, "--token", pool.token];
    agents.push(
      hosts.spawn(i, DEFAULT_LOCAL_COMMAND, [
        ...args,
        ...(link === "relay" ? ["--no-inbound"] : []),
        "--name",
        `r${round}-${link}-a${i}`,
        "--capacity",
        "2",
        "--dir",
        dir,
      ]),
    );
  }
  while ((await connected()) < count) await sleep(200);
  const askedAt = Date.now();
  const run = (
    await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {
      workers: count,
      targetUsers: users,
      spawnRate: users,
      durationSec: seconds,
    })
  ).body;
  let current = run;
  while (current.status !== "Running") {
    if (isTerminal(current.status)) throw new Error(`run ended ${current.status}: ${current.failureReason ?? ""}`);
    await sleep(100);
    current = (await api.get<LoadTestRun>(`/v1/runs/${run.id}`)).body;
  }
  const cpu = process.cpuUsage();
  const startedAt = Date.now();
  const startMs = startedAt - askedAt;
  const bytesBefore = await relayedBytes();
  while (!isTerminal(current.status)) {
    await sleep(250);
    current = (await api.get<LoadTestRun>(`/v1/runs/${run.id}`)).body;
  }
  const used = process.cpuUsage(cpu);
  const elapsed = (Date.now() - startedAt) / 1000;
  const relayed = (await relayedBytes()) - bytesBefore;
  if (current.status !== "Finished") throw new Error(`run ended ${current.status}: ${current.failureReason ?? ""}`);
  const snapshots = (await server.metricsStore.listMetricSnapshots(run.id)).length;
  for (let i = 0; i < count; i++) {
    agents[i]?.kill("SIGTERM");
    hosts.killAll(i);
  }
  await sleep(1000);
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  // Let the pool see them go before the next count starts.
  while ((await connected()) > 0) await sleep(500);
  // Each agent runs one worker, the first beside the master: the others' workers are the remote ones.
  const remote = Math.max(1, count - 1);
  return {
    rps: current.results?.requestsPerSec ?? 0,
    cpuPerSec: (used.user + used.system) / 1e6 / elapsed,
    snapshots,
    startMs,
    relayPerWorkerSec: relayed / elapsed / remote,
  };
}

console.log(
  `scale-out: ${rounds} rounds × ${COUNTS.join("/")} agents × ${LINKS.join("/")}, ${users} FastHttpUser users, ${seconds} s runs; ` +
    `${hosts.namespaced ? "each agent in its own network namespace" : "agents on loopback (no namespaces here)"}`,
);
const key = (mode: { count: number; link: Link }): string =>
  `${mode.count} agent${mode.count === 1 ? " " : "s"}${LINKS.length > 1 ? ` ${mode.link}` : ""}`;
const results = new Map<string, Figures[]>(MODES.map((mode) => [key(mode), []]));
try {
  for (let round = 1; round <= rounds; round++) {
    // Alternate the order, so warm-up and drift do not favour one mode.
    for (const mode of round % 2 === 1 ? MODES : [...MODES].reverse()) {
      const figures = await measure(mode.count, mode.link, round);
      results.get(key(mode))?.push(figures);
      console.log(
        `round ${round} ${key(mode)}: ${figures.rps.toFixed(0)} req/s, server CPU ${(100 * figures.cpuPerSec).toFixed(1)} % of a core, ` +
          `${figures.snapshots} snapshots, Running after ${figures.startMs} ms, relayed ${(figures.relayPerWorkerSec / 1024).toFixed(1)} KiB/s per remote worker`,
      );
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
  const of = (figures: Figures[], pick: (f: Figures) => number): number => median(figures.map(pick));
  const base = of(results.values().next().value ?? [], (f) => f.rps);
  for (const [name, figures] of results) {
    const rps = figures.map((f) => f.rps);
    console.log(
      `${name}: median ${median(rps).toFixed(0)} req/s (${Math.min(...rps).toFixed(0)}–${Math.max(...rps).toFixed(0)}), ` +
        `${(median(rps) / base).toFixed(2)}× the first; server CPU median ${(100 * of(figures, (f) => f.cpuPerSec)).toFixed(1)} % of a core; ` +
        `Running after ${of(figures, (f) => f.startMs)} ms; relayed ${(of(figures, (f) => f.relayPerWorkerSec) / 1024).toFixed(1)} KiB/s per remote worker`,
    );
  }
} finally {
  hosts.remove();
  target.kill();
  await server.close();
}
process.exit(0);
