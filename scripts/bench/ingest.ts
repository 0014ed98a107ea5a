// Ingest throughput: concurrent Locust-like pushers (one run each, one push in flight per run, seq
// 1, 2, 3…) send realistic snapshots (20 endpoints, log-normal histograms, request samples) to a
// server process for a fixed time per concurrency level. Prints pushes/s and latency percentiles per
// level for: the server on the embedded store, on the MongoDB wire server (FerretDB), and a bare
// Node HTTP server that only parses the same JSON. Every loop is bounded by time; loopback only.
//   node --import tsx scripts/bench/ingest.ts [seconds=10] [levels=1,2,4,8,16] [targets=sqlite,mongodb,bare]
// (mongodb-postgresql: the MongoDB wire server on FerretDB's PostgreSQL backend)
// (sqlite-secrets: as sqlite, for runs whose test uses three secrets, so that every push is redacted)
import { mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startMongoWireServer } from "../../test/helpers/ferretdb.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess, type ServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { createBenchRuns, postJson } from "./http.js";
import { DEFAULT_SHAPE, snapshotBodies } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const seconds = Number(process.argv[2] ?? 10);
const levels = (process.argv[3] ?? "1,2,4,8,16").split(",").map(Number);
const targets = (process.argv[4] ?? "sqlite,mongodb,bare").split(",");
const CALLBACK = "bench-callback-token-0123456789";
const P99_LIMIT_MS = 50;

/** Distinct snapshot bodies; each push patches in its run id and seq. */
const body = snapshotBodies();

const createRuns = (baseUrl: string, count: number, secrets: string[] = []): Promise<string[]> =>
  createBenchRuns(baseUrl, ADMIN_TOKEN, "ingest bench", count, secrets);

interface Level {
  concurrency: number;
  pushesPerSec: number;
  p50: number;
  p99: number;
  /** One push in 128 of a run used to carry its batched merge: these two show whether any still does. */
  p999: number;
  max: number;
  errors: number;
}

async function measure(baseUrl: string, runIds: string[], concurrency: number, seq: { next: number }): Promise<Level> {
  const url = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  let errors = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    runIds.slice(0, concurrency).map(async (runId) => {
      while (performance.now() < deadline) {
        const payload = body(runId, seq.next++);
        const began = performance.now();
        const status = await postJson(agent, url, "/v1/internal/locust/metrics", payload, CALLBACK);
        latencies.push(performance.now() - began);
        if (status !== 200) errors++;
      }
    }),
  );
  const elapsed = (performance.now() - start) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const at = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(latencies.length * p))] ?? 0;
  return {
    concurrency,
    pushesPerSec: latencies.length / elapsed,
    p50: at(0.5),
    p99: at(0.99),
    p999: at(0.999),
    max: latencies.at(-1) ?? 0,
    errors,
  };
}

async function bench(name: string, server: ServerProcess, runIds: string[]): Promise<Level | undefined> {
  console.log(`\n${name}`);
  console.log("concurrency   pushes/s    p50 ms    p99 ms  p99.9 ms    max ms   non-200");
  const seq = { next: 1 };
  let best: Level | undefined;
  for (const concurrency of levels) {
    const level = await measure(server.url, runIds, concurrency, seq);
    console.log(
      `${String(concurrency).padStart(11)} ${level.pushesPerSec.toFixed(0).padStart(10)} ${level.p50.toFixed(1).padStart(9)} ${level.p99.toFixed(1).padStart(9)} ${level.p999.toFixed(1).padStart(9)} ${level.max.toFixed(1).padStart(9)} ${String(level.errors).padStart(9)}`,
    );
    if (level.p99 < P99_LIMIT_MS && level.errors === 0 && level.pushesPerSec > (best?.pushesPerSec ?? 0)) best = level;
  }
  await stopServerProcess(server.child);
  if (best !== undefined) {
    console.log(
      `best at p99 < ${P99_LIMIT_MS} ms: ${best.pushesPerSec.toFixed(0)} pushes/s (concurrency ${best.concurrency})`,
    );
  }
  return best;
}

const maxRuns = Math.max(...levels);
const env = { LOADMGR_API_TOKEN: ADMIN_TOKEN, LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK, LOG_LEVEL: "warn" };
const results = new Map<string, Level | undefined>();
console.log(
  `snapshot body: ${(Buffer.byteLength(body("0", 1)) / 1024).toFixed(1)} KiB (${DEFAULT_SHAPE.endpoints} endpoints); ${seconds} s per level`,
);
for (const target of targets) {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-ingest-"));
  try {
    if (target === "bare") {
      const server = await startBenchProcess("bareJsonServer.ts", {});
      const runIds = Array.from({ length: maxRuns }, (_, i) => `bare-${i}`);
      results.set(target, await bench("bare Node HTTP server parsing the same JSON", server, runIds));
    } else if (target === "sqlite") {
      const server = await startBenchProcess("apiOnlyServer.ts", { ...env, LOADMGR_DATA_DIR: dir });
      results.set(
        target,
        await bench("Load Manager, embedded store (SQLite)", server, await createRuns(server.url, maxRuns)),
      );
    } else if (target === "sqlite-secrets") {
      // The same, for runs of a test with three secrets: every push is searched for their values (redacted).
      const server = await startBenchProcess("apiOnlyServer.ts", { ...env, LOADMGR_DATA_DIR: dir });
      results.set(
        target,
        await bench(
          "Load Manager, embedded store (SQLite), runs with 3 secrets (every push redacted)",
          server,
          await createRuns(server.url, maxRuns, ["BENCH_KEY_A", "BENCH_KEY_B", "BENCH_KEY_C"]),
        ),
      );
    } else if (target === "mongodb" || target === "mongodb-postgresql") {
      const backend = target === "mongodb" ? "sqlite" : "postgresql";
      const mongo = await startMongoWireServer({ backend });
      try {
        const server = await startBenchProcess("apiOnlyServer.ts", {
          ...env,
          LOADMGR_DATA_DIR: dir,
          MONGODB_URI: mongo.uri,
        });
        results.set(
          target,
          await bench(
            `Load Manager, MongoDB wire server (FerretDB 1.24, ${backend === "sqlite" ? "SQLite" : "PostgreSQL"} backend)`,
            server,
            await createRuns(server.url, maxRuns),
          ),
        );
      } finally {
        await mongo.stop();
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
const bare = results.get("bare");
if (bare !== undefined) {
  for (const [target, best] of results) {
    if (target !== "bare" && best !== undefined) {
      console.log(
        `${target}: ${((100 * best.pushesPerSec) / bare.pushesPerSec).toFixed(1)} % of the bare server's throughput`,
      );
    }
  }
}
