// Query time of the dashboard's analytics for a 24-hour run at a 2 s interval (43,200 snapshots,
// 20 endpoints) on the embedded store: graph (maxPoints 500), summary and whole-run aggregate, plus
// a one-hour windowed aggregate, a page of the time series and the whole day's time-series CSV for
// reference. The server runs as its own process (as `npm start` runs it); times are measured by the
// client over HTTP, first call and then the median of the next ones.
//   node --import tsx scripts/bench/analytics-queries.ts [hours=24] [repeats=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { startServerProcess, stopServerProcess } from "../../test/helpers/serverProcess.js";
import { storeLongRun } from "./longRun.js";
import { DEFAULT_SHAPE } from "./syntheticSnapshots.js";

const hours = Number(process.argv[2] ?? 24);
const repeats = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-queries-"));
const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
const T0 = 1_700_000_000_000;

const { runId } = await storeLongRun(dir, hours, T0);
const run = { id: runId };

const server = await startServerProcess({ LOADMGR_DATA_DIR: dir, LOADMGR_API_TOKEN: ADMIN_TOKEN, LOG_LEVEL: "info" });
const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };

async function time(path: string): Promise<{ ms: number; bytes: number }> {
  const begin = performance.now();
  const res = await fetch(`${server.url}${path}`, { headers });
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
  ["timeseries, a 2,000-point page", `/v1/runs/${run.id}/metrics/timeseries?from=${T0}&limit=2000`],
  ["timeseries CSV, the whole day", `/v1/runs/${run.id}/metrics/timeseries.csv`],
];
console.log(`${snapshots} snapshots × ${DEFAULT_SHAPE.endpoints} endpoints; ${repeats} timed calls after the first`);
console.log("query                      first ms   median ms   max ms   response bytes");
for (const [name, path] of queries) {
  const first = await time(path);
  const times: number[] = [];
  for (let i = 0; i < repeats; i++) times.push((await time(path)).ms);
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] ?? 0;
  console.log(
    `${name.padEnd(26)} ${first.ms.toFixed(1).padStart(8)} ${median.toFixed(1).padStart(11)} ${(times.at(-1) ?? 0).toFixed(1).padStart(8)} ${first.bytes.toLocaleString("en-US").padStart(16)}`,
  );
}
await stopServerProcess(server.child);
rmSync(dir, { recursive: true, force: true });
