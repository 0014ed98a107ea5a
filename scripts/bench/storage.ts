// Storage per run-minute at 1,000 requests/s over 20 endpoints: Load Manager's snapshots (chart
// figures + compressed per-endpoint detail + the run's kept totals) against one row per request,
// which is what per-request listeners store. Both in SQLite, measured with dbstat (bytes of pages
// used by each table and its indexes).
//   node --import tsx scripts/bench/storage.ts [minutes=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { metricSnapshotInputSchema } from "@loadmgr/shared";
import { SqliteMetricsStore } from "../../server/src/metrics/sqlite/sqliteMetrics.js";
import { makeLoadTest, makeRun } from "../../test/helpers/fixtures.js";
import { storedSnapshot } from "./longRun.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const minutes = Number(process.argv[2] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-storage-"));
const random = seededRandom(42);
const shape = DEFAULT_SHAPE;
const snapshots = (minutes * 60_000) / shape.intervalMs;

function tableBytes(path: string, tables: string[]): number {
  const db = new Database(path, { readonly: true });
  const rows = db
    .prepare(
      "select tbl_name as t, name from sqlite_schema where tbl_name in (" + tables.map(() => "?").join(",") + ")",
    )
    .all(...tables) as { t: string; name: string }[];
  const names = rows.map((r) => r.name);
  const total = db
    .prepare(`select sum(pgsize) as bytes from dbstat where name in (${names.map(() => "?").join(",")})`)
    .get(...names) as { bytes: number };
  db.close();
  return total.bytes;
}

// Load Manager: the same store and path ingest uses.
const storePath = join(dir, "loadmgr.sqlite");
const store = new SqliteMetricsStore(storePath);
await store.init();
const { test } = makeLoadTest();
const run = makeRun(test);
let requests = 0;
let rawRows: { name: string; ms: number; ok: boolean; t: number }[] = [];
const perRequestPath = join(dir, "per-request.sqlite");
const perRequest = new Database(perRequestPath);
perRequest.pragma("page_size = 16384"); // as the store's, so pages are counted alike
perRequest.exec(`create table request_log (
  run_id text not null, timestamp integer not null, method text not null, name text not null,
  response_ms real not null, response_length integer not null, success integer not null, error text)`);
perRequest.exec("create index request_log_run_time on request_log (run_id, timestamp)");
const insert = perRequest.prepare("insert into request_log values (?, ?, ?, ?, ?, ?, ?, ?)");
const insertMany = perRequest.transaction((rows: typeof rawRows) => {
  for (const row of rows) {
    insert.run(run.id, row.t, "GET", row.name, row.ms, 1843, row.ok ? 1 : 0, row.ok ? null : "HTTPError('503')");
  }
});

for (let seq = 1; seq <= snapshots; seq++) {
  const push = metricSnapshotInputSchema.parse(syntheticSnapshot(run.id, seq, random, shape, 1_700_000_000_000));
  const { requestSamples: _samples, ...snapshot } = push;
  await store.addMetricSnapshot(storedSnapshot(snapshot, test, seq === snapshots));
  // The same requests, one row each: expand each histogram bucket into its requests.
  rawRows = [];
  for (const endpoint of push.endpoints) {
    let failures = endpoint.failures;
    for (const [bucket, count] of endpoint.histogram) {
      for (let i = 0; i < count; i++) {
        rawRows.push({ name: endpoint.name, ms: bucket + random(), ok: failures-- <= 0, t: push.timestamp - i });
      }
    }
    requests += endpoint.requests;
  }
  insertMany(rawRows);
}
await store.settle();
await store.close();
perRequest.close();

const ours = tableBytes(storePath, ["metrics_timeseries", "metrics_bodies", "metrics_blocks", "run_stats"]);
const rows = tableBytes(perRequestPath, ["request_log"]);
const perMinute = (bytes: number): string => `${Math.round(bytes / minutes).toLocaleString("en-US")} B/run-minute`;
console.log(
  `${minutes} min at ${shape.requestsPerSec} req/s over ${shape.endpoints} endpoints: ${requests.toLocaleString("en-US")} requests, ${snapshots} snapshots`,
);
console.log(`Load Manager (snapshots, bodies, blocks, run stats; with indexes):      ${perMinute(ours)}`);
console.log(`one row per request (request_log + index):                              ${perMinute(rows)}`);
console.log(`ratio: ${((100 * ours) / rows).toFixed(2)} %`);
if (process.env.KEEP === "1") console.log(dir);
else rmSync(dir, { recursive: true, force: true });
