// Query time of the dashboard's analytics for a 24-hour run at a 2 s interval (43,200 snapshots,
// 20 endpoints) on the embedded store: graph (maxPoints 500), summary and whole-run aggregate, plus
// a one-hour windowed aggregate and the full time series for reference. The server runs as its own
// process (as `npm start` runs it); times are measured by the client over HTTP, first call and then
// the median of the next ones.
//   node --import tsx scripts/bench/analytics-queries.ts [hours=24] [repeats=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricSnapshotInputSchema } from "@loadmgr/shared";
import { SqliteStore } from "../../server/src/store/sqlite/sqliteStore.js";
import { makeLoadTest, makeRun } from "../../test/helpers/fixtures.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { startServerProcess, stopServerProcess } from "../../test/helpers/serverProcess.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";

const hours = Number(process.argv[2] ?? 24);
const repeats = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-queries-"));
const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
const T0 = 1_700_000_000_000;

const store = new SqliteStore(join(dir, "loadmgr.sqlite"));
await store.init();
const { test, revision } = makeLoadTest();
await store.createLoadTest(test, revision);
const run = makeRun(test, { status: "Finished", startedAt: T0, finishedAt: T0 + hours * 3_600_000 });
await store.createRun(run);
const random = seededRandom(7);
const started = Date.now();
for (let seq = 1; seq <= snapshots; seq++) {
  const { requestSamples: _samples, ...snapshot } = metricSnapshotInputSchema.parse(
    syntheticSnapshot(run.id, seq, random, { ...DEFAULT_SHAPE, samples: false }, T0),
  );
  await store.addMetricSnapshot(
    {
      ...snapshot,
      loadTestId: test.id,
      accountId: test.accountId,
      orgId: test.orgId,
      projectId: test.projectId,
      envId: null,
    },
    {
      timestamp: snapshot.timestamp,
      seq,
      users: snapshot.users,
      requestsPerSec: 1000,
      failuresPerSec: 10,
      totalRequests: snapshot.totalRequests,
      totalFailures: snapshot.totalFailures,
      avgResponseMs: 100,
    },
  );
  if (seq % 4320 === 0 || seq === snapshots) {
    const rate = Math.round(seq / ((Date.now() - started) / 1000));
    process.stdout.write(`\rstored ${seq}/${snapshots} snapshots (${rate}/s through the store)   `);
  }
}
process.stdout.write("\n");
await store.close();

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
  ["timeseries, all points", `/v1/runs/${run.id}/metrics/timeseries`],
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
