// Many runs reporting as the plugin reports: N runs, each pushing a snapshot every 2 s (seq 1, 2,
// 3…; the runs' pushes spread evenly over the interval; a run's next push waits for its last answer,
// as the plugin's does), against one server process, for a fixed time per count. Prints per count:
// the pushes, push latency (p50, p99, max), non-200 answers, late pushes (sent over a second after
// their time because the run's previous push had not been answered) and the server process's CPU per
// push and in all (from /proc). Every run has pushed its first snapshot (started) before any count is measured. Every loop is bounded by time; loopback only.
//   node --import tsx scripts/bench/many-reporting.ts [seconds=30] [counts=250,500,750,1000] [targets=sqlite]
// targets: sqlite (the embedded store), mongodb (FerretDB 1.24 on SQLite), mongodb-postgresql (on PostgreSQL)
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { startMongoWireServer } from "../../test/helpers/ferretdb.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { printCalibration } from "./calibration.js";
import { cpuSeconds } from "./procCpu.js";
import { createBenchRuns, postJson } from "./http.js";
import { snapshotBodies } from "./syntheticSnapshots.js";

await printCalibration();

const seconds = Number(process.argv[2] ?? 30);
const counts = (process.argv[3] ?? "250,500,750,1000").split(",").map(Number);
const targets = (process.argv[4] ?? "sqlite").split(",");
const INTERVAL_MS = 2000;
const CALLBACK = "bench-callback-token-0123456789";
const body = snapshotBodies();

interface Result {
  runs: number;
  pushes: number;
  p50: number;
  p99: number;
  max: number;
  errors: number;
  late: number;
  cpuMsPerPush: number;
  cpuShare: number;
}

/** `seqs`: each run's next seq (a run's seqs are 1, 2, 3…, across the counts). */
async function drive(baseUrl: string, pid: number, runIds: string[], seqs: Map<string, number>): Promise<Result> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: runIds.length });
  const latencies: number[] = [];
  let errors = 0;
  let late = 0;
  const start = performance.now() + 500;
  const end = start + seconds * 1000;
  const cpuBefore = cpuSeconds(pid);
  await Promise.all(
    runIds.map(async (runId, i) => {
      let due = start + (i * INTERVAL_MS) / runIds.length;
      while (due < end) {
        const wait = due - performance.now();
        if (wait > 0) await sleep(wait);
        else if (wait < -1000) late++;
        const seq = seqs.get(runId) ?? 1;
        seqs.set(runId, seq + 1);
        const began = performance.now();
        const status = await postJson(agent, url, "/v1/internal/locust/metrics", body(runId, seq), CALLBACK);
        latencies.push(performance.now() - began);
        if (status !== 200) errors++;
        due += INTERVAL_MS;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  const cpu = cpuSeconds(pid) - cpuBefore;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    runs: runIds.length,
    pushes: latencies.length,
    p50: at(0.5),
    p99: at(0.99),
    max: latencies.at(-1) ?? 0,
    errors,
    late,
    cpuMsPerPush: (1000 * cpu) / Math.max(1, latencies.length),
    cpuShare: cpu / elapsed,
  };
}

const env = { LOADMGR_API_TOKEN: ADMIN_TOKEN, LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK, LOG_LEVEL: "warn" };
console.log(
  `snapshot body: ${(Buffer.byteLength(body("0", 1)) / 1024).toFixed(1)} KiB; a push per run every ${INTERVAL_MS / 1000} s; ${seconds} s per count`,
);
for (const target of targets) {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-reporting-"));
  const backend = target === "mongodb" ? "sqlite" : "postgresql";
  const mongo = target === "sqlite" ? undefined : await startMongoWireServer({ backend });
  const server = await startBenchProcess("apiOnlyServer.ts", {
    ...env,
    LOADMGR_DATA_DIR: dir,
    ...(mongo !== undefined ? { MONGODB_URI: mongo.uri } : {}),
  });
  try {
    const pid = server.child.pid ?? 0;
    console.log(
      `\n${target === "sqlite" ? "embedded store (SQLite)" : `MongoDB wire server (FerretDB 1.24, ${backend === "sqlite" ? "SQLite" : "PostgreSQL"} backend)`}`,
    );
    console.log("  runs   pushes    p50 ms    p99 ms    max ms  non-200   late  CPU ms/push  CPU (cores)");
    const runIds = await createBenchRuns(server.url, ADMIN_TOKEN, "many-reporting bench", Math.max(...counts));
    const seqs = new Map<string, number>();
    // Each run's first push moves it to Running (a run starting): done before measuring, not counted,
    // so that the figures are those of runs reporting, as a process carrying them for hours sees.
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    for (let i = 0; i < runIds.length; i += 16) {
      await Promise.all(
        runIds.slice(i, i + 16).map(async (runId) => {
          seqs.set(runId, 2);
          const status = await postJson(
            agent,
            new URL(server.url),
            "/v1/internal/locust/metrics",
            body(runId, 1),
            CALLBACK,
          );
          if (status !== 200) throw new Error(`the first push of run ${runId} got ${status}`);
        }),
      );
    }
    agent.destroy();
    for (const count of counts) {
      const r = await drive(server.url, pid, runIds.slice(0, count), seqs);
      console.log(
        `${String(r.runs).padStart(6)} ${String(r.pushes).padStart(8)} ${r.p50.toFixed(1).padStart(9)} ${r.p99.toFixed(1).padStart(9)} ${r.max.toFixed(1).padStart(9)} ${String(r.errors).padStart(8)} ${String(r.late).padStart(6)} ${r.cpuMsPerPush.toFixed(2).padStart(12)} ${r.cpuShare.toFixed(2).padStart(12)}`,
      );
    }
  } finally {
    await stopServerProcess(server.child);
    await mongo?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
