// Query time of the dashboard's analytics for a 24-hour run at a 2 s interval (43,200 snapshots,
// 20 endpoints) on the embedded store: graph (maxPoints 500), summary and whole-run aggregate, plus
// a one-hour windowed aggregate, a page of the time series and the whole day's time-series CSV for
// reference. Two servers run as their own processes (as `npm start` runs them) on the same file, one
// with the read worker and one without, called alternately; times are measured by the client over
// HTTP, first call and then the median of the next ones.
//   node --import tsx scripts/bench/analytics-queries.ts [hours=24] [repeats=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { startServerProcess, stopServerProcess } from "../../test/helpers/serverProcess.js";
import { storeLongRun } from "./longRun.js";
import { DEFAULT_SHAPE } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const hours = Number(process.argv[2] ?? 24);
const repeats = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-queries-"));
const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
const T0 = 1_700_000_000_000;

const { runId } = await storeLongRun(dir, hours, T0);
const run = { id: runId };

// Two servers on the same file, side by side: heavy reads in the read worker (the default), and on the
// server's own thread (LOADMGR_READ_WORKER=off); each query alternates between them.
const env = { LOADMGR_DATA_DIR: dir, LOADMGR_API_TOKEN: ADMIN_TOKEN, LOG_LEVEL: "info" };
const servers = {
  worker: await startServerProcess(env),
  thread: await startServerProcess({ ...env, LOADMGR_READ_WORKER: "off" }),
};
const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function time(url: string, path: string): Promise<{ ms: number; bytes: number }> {
  const begin = performance.now();
  const res = await fetch(`${url}${path}`, { headers });
  const body = await res.text();
  const ms = performance.now() - begin;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  return { ms, bytes: body.length };
}

const hourFrom = T0 + 12 * 3_600_000;
const queries: [string, string][] = [
  ["graph, maxPoints 500", `/v1/runs/${run.id}/graph?maxPoints=500`],
  ["summary", `/v1/runs/${run.id}/summary`],
  ["aggregate, whole run", `/v1/runs/${run.id}/metrics/aggregate`],
  ["requests (per endpoint)", `/v1/runs/${run.id}/requests`],
  ["aggregate, 1 h window", `/v1/runs/${run.id}/metrics/aggregate?from=${hourFrom}&to=${hourFrom + 3_600_000}`],
  // A time series answers a page (at most 2,000 points); the whole day is its CSV, written page by page.
  ["timeseries, 2,000-point page", `/v1/runs/${run.id}/metrics/timeseries?from=${T0}&limit=2000`],
  ["timeseries CSV, whole day", `/v1/runs/${run.id}/metrics/timeseries.csv`],
];
console.log(`${snapshots} snapshots × ${DEFAULT_SHAPE.endpoints} endpoints; ${repeats} timed calls after the first`);
console.log("query                        reads in   first ms   median ms   max ms   response bytes");
for (const [name, path] of queries) {
  const first = { worker: await time(servers.worker.url, path), thread: await time(servers.thread.url, path) };
  const times: Record<keyof typeof servers, number[]> = { worker: [], thread: [] };
  for (let i = 0; i < repeats; i++) {
    for (const mode of ["worker", "thread"] as const) times[mode].push((await time(servers[mode].url, path)).ms);
  }
  for (const mode of ["worker", "thread"] as const) {
    const sorted = times[mode].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
    console.log(
      `${name.padEnd(28)} ${mode.padEnd(8)} ${first[mode].ms.toFixed(1).padStart(8)} ${median.toFixed(1).padStart(11)} ${(sorted.at(-1) ?? 0).toFixed(1).padStart(8)} ${first[mode].bytes.toLocaleString("en-US").padStart(16)}`,
    );
  }
}
await stopServerProcess(servers.worker.child);
await stopServerProcess(servers.thread.child);
rmSync(dir, { recursive: true, force: true });
