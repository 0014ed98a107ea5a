// Does ingest keep its latency while viewers run the heaviest queries? A 24-hour run (43,200
// snapshots) is stored, the server starts as its own process (no job worker), and live runs get
// pushes at a steady rate while /healthz is polled. Phase 1: pushes alone. Phase 2: the same, plus
// viewers looping over the heaviest reads of the long run (6 h windowed aggregate, time series and
// scatter by endpoint name, the whole-run figures, and a 24 h window that must be refused; a time
// series is read whole, a page per request). Prints push and /healthz latency percentiles per phase,
// their ratio, what the viewers got, and the server's peak RSS. Every loop is bounded by time;
// loopback only.
// With `only`, the viewers run just that one of the heavy reads (0-based, in the order listed below),
// to see which holds the event loop longest.
//   node --import tsx scripts/bench/heavy-queries.ts [seconds=20] [viewers=4] [pushesPerSec=20] [hours=24] [only]
import { readFileSync, mkdtempSync, rmSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { createBenchRuns, postJson } from "./http.js";
import { sqliteStores, storeLongRun } from "./longRun.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const [seconds = 20, viewers = 4, pushesPerSec = 20, hours = 24, only] = process.argv.slice(2).map(Number);
const CALLBACK = "bench-callback-token-0123456789";
const LIVE_RUNS = 10;
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-heavy-"));
const T0 = Date.now() - hours * 3_600_000;
const { runId: longRun } = await storeLongRun(sqliteStores(dir), hours, T0);

const server = await startBenchProcess("apiOnlyServer.ts", {
  LOADMGR_DATA_DIR: dir,
  LOADMGR_API_TOKEN: ADMIN_TOKEN,
  LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK,
  LOG_LEVEL: "warn",
});
const url = new URL(server.url);
const pid = server.child.pid ?? 0;

const liveRuns = await createBenchRuns(server.url, ADMIN_TOKEN, "heavy-queries bench", LIVE_RUNS);

const random = seededRandom(3);
const nextSeq = new Map<string, number>();
/** Pushes at a steady rate (one run after the other), each push's latency recorded. */
async function pushSteadily(until: number, latencies: number[]): Promise<void> {
  const agent = new Agent({ keepAlive: true });
  const gap = 1000 / pushesPerSec;
  let next = performance.now();
  let i = 0;
  while (performance.now() < until) {
    const runId = liveRuns[i++ % liveRuns.length] ?? "";
    const seq = (nextSeq.get(runId) ?? 0) + 1;
    nextSeq.set(runId, seq);
    const body = JSON.stringify({
      ...syntheticSnapshot(runId, seq, random, DEFAULT_SHAPE, Date.now() - seq * DEFAULT_SHAPE.intervalMs),
      timestamp: Date.now(),
    });
    const begin = performance.now();
    const status = await postJson(agent, url, "/v1/internal/locust/metrics", body, CALLBACK);
    if (status !== 200) throw new Error(`push answered ${status}`);
    latencies.push(performance.now() - begin);
    next += gap;
    const wait = next - performance.now();
    if (wait > 0) await sleep(wait);
  }
  agent.destroy();
}

async function pollHealth(until: number, latencies: number[]): Promise<void> {
  while (performance.now() < until) {
    const begin = performance.now();
    await (await fetch(`${server.url}/healthz`)).text();
    latencies.push(performance.now() - begin);
    await sleep(50);
  }
}

const H = 3_600_000;
const allHeavy = [
  `/v1/runs/${longRun}/metrics/aggregate?from=${T0}&to=${T0 + 6 * H - 1}`,
  `/v1/runs/${longRun}/metrics/timeseries?from=${T0 + 6 * H}&to=${T0 + 12 * H - 1}&name=/api/endpoint-0`,
  `/v1/runs/${longRun}/metrics/scatter?from=${T0 + 12 * H}&to=${T0 + 18 * H - 1}&name=/api/endpoint-1`,
  `/v1/runs/${longRun}/metrics/timeseries.csv?from=${T0 + 18 * H}&to=${T0 + 24 * H - 1}`,
  `/v1/runs/${longRun}/metrics/aggregate?from=${T0}&to=${T0 + 24 * H}`,
  `/v1/runs/${longRun}/graph?maxPoints=1000`,
  `/v1/runs/${longRun}/summary`,
];
const heavy = only === undefined ? allHeavy : allHeavy.slice(only, only + 1);
const answered = new Map<number, number>();
/** One read; a time series is read whole, page after page (each page one answer). */
async function read(path: string): Promise<void> {
  let afterSeq: number | null = null;
  do {
    const res = await fetch(`${server.url}${path}${afterSeq === null ? "" : `&afterSeq=${afterSeq}`}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const body = Buffer.from(await res.arrayBuffer());
    answered.set(res.status, (answered.get(res.status) ?? 0) + 1);
    afterSeq =
      res.status === 200 && path.includes("/metrics/timeseries?")
        ? (JSON.parse(body.toString()) as { nextAfterSeq: number | null }).nextAfterSeq
        : null;
  } while (afterSeq !== null);
}

async function view(until: number, offset: number): Promise<void> {
  for (let i = offset; performance.now() < until; i++) await read(heavy[i % heavy.length] ?? "");
}

let peakRss = 0;
async function watchMemory(until: number): Promise<void> {
  while (performance.now() < until) {
    const kb = Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, "utf-8"))?.[1] ?? 0);
    peakRss = Math.max(peakRss, kb / 1024);
    await sleep(100);
  }
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) * p)] ?? 0;
async function phase(name: string, withViewers: boolean): Promise<{ push: number[]; health: number[] }> {
  const until = performance.now() + seconds * 1000;
  const push: number[] = [];
  const health: number[] = [];
  peakRss = 0;
  await Promise.all([
    pushSteadily(until, push),
    pollHealth(until, health),
    watchMemory(until),
    ...(withViewers ? Array.from({ length: viewers }, (_, v) => view(until, v * 2)) : []),
  ]);
  console.log(
    `${name.padEnd(22)} pushes ${String(push.length).padStart(5)}  push p50 ${pct(push, 0.5).toFixed(1).padStart(6)} ms  p99 ${pct(push, 0.99).toFixed(1).padStart(6)} ms   /healthz p50 ${pct(health, 0.5).toFixed(1).padStart(6)} ms  p99 ${pct(health, 0.99).toFixed(1).padStart(6)} ms   peak RSS ${peakRss.toFixed(0)} MiB`,
  );
  return { push, health };
}

console.log(
  `${hours} h run (${(hours * H) / DEFAULT_SHAPE.intervalMs} snapshots); ${pushesPerSec} pushes/s over ${LIVE_RUNS} live runs; ${seconds} s per phase; ${viewers} viewers on one token`,
);
const quiet = await phase("pushes alone", false);
const loaded = await phase(`with ${viewers} heavy viewers`, true);
await phase("pushes alone, again", false);
console.log(
  `viewers' answers by status: ${[...answered.entries()]
    .sort()
    .map(([status, n]) => `${status}×${n}`)
    .join(", ")}`,
);
console.log(`push p99 ratio (with viewers / alone): ${(pct(loaded.push, 0.99) / pct(quiet.push, 0.99)).toFixed(2)}`);
await stopServerProcess(server.child);
rmSync(dir, { recursive: true, force: true });
