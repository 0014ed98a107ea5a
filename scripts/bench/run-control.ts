// What a run spread over many agents costs the server to control: N simulated agents of capacity 1,
// each holding the real long poll (POST /v1/internal/agents/sync) as the real agent does: it reports
// what it holds, takes what the answer assigns (the master reports its port, a stop ends its part),
// and calls again as soon as it is answered or has something new to say, with the wait its agent
// sends. Against a real server (as `npm start` runs it), one run of N-1 workers over all of them: its
// master's agent says Locust started once every worker has its part (as Locust's master waits for its
// workers), then pushes a snapshot a second as the plugin does. Measured: POST → Running, and the
// server process's CPU (from /proc) over a window with the agents idle, then with the run running.
// With --old DIR an older checkout side by side (its agent's waits: 1.5 s holding a run, 5 s idle).
//   node --import tsx scripts/bench/run-control.ts [agents=600] [seconds=30] [rounds=2] [--old DIR]
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { AGENT_WAIT_MS } from "@loadmgr/shared";
import { printCalibration } from "./calibration.js";
import { cpuSeconds } from "./procCpu.js";
import { api, median, startServerAt, type BenchServer } from "./serverProcess.js";

const { values, positionals } = parseArgs({ options: { old: { type: "string" } }, allowPositionals: true });
const [agents = 600, seconds = 30, rounds = 2] = positionals.map(Number);
await printCalibration();

interface Side {
  name: string;
  root: string;
  /** The wait its agent sends while it holds a run part, and while it holds none. */
  busyWaitMs: number;
  idleWaitMs: number;
  /** Whether its sync call says when it was sent (and whether its agents say they take inbound connections). */
  sentAt: boolean;
}

const sides: Side[] = [
  {
    name: "this checkout",
    root: resolve(import.meta.dirname, "../.."),
    busyWaitMs: AGENT_WAIT_MS,
    idleWaitMs: AGENT_WAIT_MS,
    sentAt: true,
  },
];
if (values.old !== undefined) {
  sides.push({
    name: `old (${gitHead(values.old)})`,
    root: resolve(values.old),
    busyWaitMs: 1500,
    idleWaitMs: 5000,
    sentAt: false,
  });
}

function gitHead(dir: string): string {
  return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf-8" }).trim();
}

interface Report {
  runId: string;
  role: "master" | "worker";
  processes: number;
  state: "running" | "exited";
  masterPort?: number;
  exitCode?: number;
  stopRequested?: boolean;
}

interface Assignment {
  runId: string;
  role: "master" | "worker";
  processes: number;
  stop: boolean;
  spec?: { ingestToken?: string };
}

interface Result {
  idleCpu: number;
  runCpu: number;
  idleCalls: number;
  runCalls: number;
  toRunningMs: number;
}

async function measure(side: Side, round: number): Promise<Result> {
  const server: BenchServer = await startServerAt(
    side.root,
    `log:\n  level: warn\nagents:\n  maxWorkersPerRun: ${Math.max(100, agents)}\n`,
  );
  const pid = server.child.pid ?? 0;
  const pool = await api<{ id: string; token: string }>(server.url, "POST", "/v1/agent-pools", {
    name: "wide",
    accountId: "bench",
    orgId: "bench",
    projectId: "control",
  });
  const stop = new AbortController();
  // (fetch adds an abort listener per call and keeps it: no limit, the process is short-lived.)
  setMaxListeners(0, stop.signal);
  let calls = 0;
  let connected = 0;
  let workersAssigned = 0;
  let master: { runId: string; token: string } | undefined;
  const loop = async (i: number): Promise<void> => {
    const instanceId = randomUUID();
    const held = new Map<string, Report>();
    let first = true;
    while (!stop.signal.aborted) {
      const runs = [...held.values()];
      const body = {
        name: `r${round}-a${i}`,
        instanceId,
        capacity: 1,
        labels: {},
        version: "0.1.0",
        address: `10.9.${i >> 8}.${i & 255}`,
        runs,
        waitMs: runs.some((r) => r.state === "running") ? side.busyWaitMs : side.idleWaitMs,
        ...(side.sentAt ? { sentAt: Date.now() } : {}),
      };
      try {
        const res = await fetch(`${server.url}/v1/internal/agents/sync`, {
          method: "POST",
          headers: { authorization: `Bearer ${pool.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: stop.signal,
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`);
        calls++;
        if (first) connected++;
        first = false;
        const answer = JSON.parse(text) as { assignments: Assignment[] };
        const assigned = new Set<string>();
        for (const a of answer.assignments) {
          const key = `${a.runId}/${a.role}`;
          assigned.add(key);
          const report = held.get(key);
          if (report === undefined) {
            held.set(key, {
              runId: a.runId,
              role: a.role,
              processes: a.processes,
              state: "running",
              ...(a.role === "master" ? { masterPort: 5557 } : {}),
            });
            if (a.role === "master") master = { runId: a.runId, token: a.spec?.ingestToken ?? "" };
            else workersAssigned += a.processes;
          } else if (a.stop && report.state === "running") {
            held.set(key, { ...report, state: "exited", exitCode: 0, stopRequested: true });
          }
        }
        for (const key of held.keys()) if (!assigned.has(key)) held.delete(key);
      } catch (error) {
        if (stop.signal.aborted) return;
        console.error(`agent ${i}: ${String(error)}`);
        await sleep(1000);
      }
    }
  };
  const loops = Array.from({ length: agents }, (_, i) => loop(i));
  while (connected < agents) await sleep(100);
  await sleep(3000);

  const window = async (): Promise<{ cpu: number; callsPerSec: number }> => {
    const [cpu0, calls0, at] = [cpuSeconds(pid), calls, Date.now()];
    await sleep(seconds * 1000);
    const elapsed = (Date.now() - at) / 1000;
    return { cpu: (cpuSeconds(pid) - cpu0) / elapsed, callsPerSec: (calls - calls0) / elapsed };
  };
  const idle = await window();

  // One run over every agent: its master on one, a worker on each of the others.
  const script = Buffer.from(
    "from locust import HttpUser, task\n\nclass U(HttpUser):\n    @task\n    def t(self):\n        self.client.get('/')\n",
  ).toString("base64");
  const test = await api<{ id: string }>(server.url, "POST", "/v1/load-tests", {
    name: "wide",
    accountId: "bench",
    orgId: "bench",
    projectId: "control",
    targetUrl: "http://127.0.0.1:9",
    scriptContent: script,
    agentPool: pool.id,
  });
  const workers = agents - 1;
  const posted = Date.now();
  const run = await api<{ id: string }>(server.url, "POST", `/v1/load-tests/${test.id}/runs`, {
    workers,
    targetUsers: workers,
    spawnRate: 100,
    durationSec: 600,
  });
  const ingest = (path: string, body: unknown): Promise<Response> =>
    fetch(`${server.url}/v1/internal/locust/${path}`, {
      method: "POST",
      headers: { authorization: `Bearer ${master?.token ?? ""}`, "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  // As Locust's master: the test starts once every worker is there.
  while (master === undefined || workersAssigned < workers) await sleep(20);
  const started = await ingest("test-start", {
    runId: run.id,
    timestamp: Date.now(),
    locustVersion: "2.47.0",
    workers,
    host: "bench",
  });
  if (started.status !== 200) throw new Error(`test-start: ${started.status} ${await started.text()}`);
  for (;;) {
    const r = await api<{ status: string }>(server.url, "GET", `/v1/runs/${run.id}`);
    if (r.status === "Running") break;
    await sleep(50);
  }
  const toRunningMs = Date.now() - posted;
  // A snapshot a second, as the plugin sends them.
  let seq = 0;
  const pushing = (async () => {
    while (!stop.signal.aborted) {
      seq++;
      const now = Date.now();
      await ingest("metrics", {
        runId: run.id,
        seq,
        timestamp: now,
        intervalMs: 1000,
        users: workers,
        totalRequests: 100 * seq,
        totalFailures: 0,
        endpoints: [
          {
            method: "GET",
            name: "/",
            requests: 100,
            failures: 0,
            sumResponseMs: 500,
            minResponseMs: 5,
            maxResponseMs: 5,
            histogram: [[5, 100]],
          },
        ],
      });
      await sleep(1000);
    }
  })();
  await sleep(3000);
  const running = await window();
  stop.abort();
  await Promise.all([...loops, pushing]);
  await server.stop();
  rmSync(server.dataDir, { recursive: true, force: true });
  return {
    idleCpu: idle.cpu,
    runCpu: running.cpu,
    idleCalls: idle.callsPerSec,
    runCalls: running.callsPerSec,
    toRunningMs,
  };
}

console.log(
  `run control: ${agents} simulated agents, one run of ${agents - 1} workers over all of them, ${seconds} s windows, ${rounds} rounds`,
);
const results = new Map(sides.map((s) => [s.name, [] as Result[]]));
for (let round = 1; round <= rounds; round++) {
  for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
    const r = await measure(side, round);
    results.get(side.name)?.push(r);
    console.log(
      `round ${round} ${side.name.padEnd(20)} idle: ${(100 * r.idleCpu).toFixed(1)} % of a core, ${r.idleCalls.toFixed(1)} calls/s; run: ${(100 * r.runCpu).toFixed(1)} % of a core, ${r.runCalls.toFixed(1)} calls/s; POST → Running ${(r.toRunningMs / 1000).toFixed(2)} s`,
    );
  }
}
for (const [name, rs] of results) {
  const cost = rs.map((r) => r.runCpu - r.idleCpu);
  console.log(
    `${name}: median run control cost ${(100 * median(cost)).toFixed(1)} % of a core above idle (${(100 * Math.min(...cost)).toFixed(1)}–${(100 * Math.max(...cost)).toFixed(1)}), run ${(100 * median(rs.map((r) => r.runCpu))).toFixed(1)} %, ${median(rs.map((r) => r.runCalls)).toFixed(1)} calls/s, POST → Running ${(median(rs.map((r) => r.toRunningMs)) / 1000).toFixed(2)} s`,
  );
}
process.exit(0);
