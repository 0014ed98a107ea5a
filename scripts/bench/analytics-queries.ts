// Query time of the dashboard's analytics for a 24-hour run at a 2 s interval (43,200 snapshots,
// 20 endpoints) on both stores, side by side: graph (maxPoints 500), summary and whole-run aggregate
// (the targets), plus per-endpoint requests, a one-hour windowed aggregate and a page of the time
// series for reference. The run is stored through each metrics store's own ingest path (SQLite file;
// MongoDB: MONGODB_URI, or FerretDB from the test helper), then one server process per store (as
// `npm start` runs it, read worker on) answers; the client times each query over HTTP, first call
// then the median and max of the next ones, calling the two servers alternately. FerretDB's own cost
// is shown by timing a bare `find` of the day's blocks and of its snapshots' chart fields.
//   node --import tsx scripts/bench/analytics-queries.ts [hours=24] [repeats=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { MongoClient } from "mongodb";
import { MongoMetricsStore } from "../../server/src/metrics/mongo/mongoMetrics.js";
import { MongoStore } from "../../server/src/store/mongo/mongoStore.js";
import { startMongoWireServer } from "../../test/helpers/ferretdb.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { startServerProcess, stopServerProcess } from "../../test/helpers/serverProcess.js";
import { sqliteStores, storeLongRun } from "./longRun.js";
import { DEFAULT_SHAPE } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const hours = Number(process.argv[2] ?? 24);
const repeats = Number(process.argv[3] ?? 10);
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-queries-"));
const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
const T0 = 1_700_000_000_000;

const mongo = await startMongoWireServer();
const database = `loadmgr_bench_${randomUUID().slice(0, 8)}`;
let begin = performance.now();
const sqliteRun = await storeLongRun(sqliteStores(dir), hours, T0);
console.log(`SQLite: stored in ${((performance.now() - begin) / 1000).toFixed(1)} s`);
begin = performance.now();
const mongoRun = await storeLongRun(
  { store: new MongoStore(mongo.uri, database), metrics: new MongoMetricsStore(mongo.uri, database) },
  hours,
  T0,
  8,
);
console.log(`MongoDB: stored in ${((performance.now() - begin) / 1000).toFixed(1)} s (8 pushes in flight)`);

const env = { LOADMGR_API_TOKEN: ADMIN_TOKEN, LOG_LEVEL: "info" }; // the process helper waits for the "listening" line
const servers = {
  sqlite: { ...(await startServerProcess({ ...env, LOADMGR_DATA_DIR: dir })), runId: sqliteRun.runId },
  mongodb: {
    ...(await startServerProcess({
      ...env,
      LOADMGR_DATA_DIR: join(dir, "mongo-server"),
      MONGODB_URI: mongo.uri,
      MONGODB_DATABASE: database,
    })),
    runId: mongoRun.runId,
  },
};
const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };

/** A call that takes longer than this is given up: the row says so. */
const GIVE_UP_MS = 60_000;
/** A first call slower than this is not repeated (its row shows no median). */
const REPEAT_UNDER_MS = 10_000;

async function time(url: string, path: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const res = await fetch(`${url}${path}`, { headers, signal: AbortSignal.timeout(GIVE_UP_MS) });
  const body = await res.text();
  const ms = performance.now() - started;
  if (res.status !== 200) throw new Error(`${path}: ${res.status} ${body.slice(0, 200)}`);
  return { ms, bytes: body.length };
}

const hourFrom = T0 + 12 * 3_600_000;
const queries: [string, (runId: string) => string][] = [
  ["graph, maxPoints 500", (id) => `/v1/runs/${id}/graph?maxPoints=500`],
  ["summary", (id) => `/v1/runs/${id}/summary`],
  ["aggregate, whole run", (id) => `/v1/runs/${id}/metrics/aggregate`],
  ["requests (per endpoint)", (id) => `/v1/runs/${id}/requests`],
  ["aggregate, 1 h window", (id) => `/v1/runs/${id}/metrics/aggregate?from=${hourFrom}&to=${hourFrom + 3_600_000}`],
  ["timeseries, 2,000-point page", (id) => `/v1/runs/${id}/metrics/timeseries?from=${T0}&limit=2000`],
];
console.log(`${snapshots} snapshots × ${DEFAULT_SHAPE.endpoints} endpoints; ${repeats} timed calls after the first`);
console.log("query                        store     first ms   median ms   max ms   response bytes");
for (const [name, pathOf] of queries) {
  const modes = ["sqlite", "mongodb"] as const;
  const attempt = (mode: (typeof modes)[number]) =>
    time(servers[mode].url, pathOf(servers[mode].runId)).catch(() => undefined);
  const first = { sqlite: await attempt("sqlite"), mongodb: await attempt("mongodb") };
  const times: Record<(typeof modes)[number], number[]> = { sqlite: [], mongodb: [] };
  for (let i = 0; i < repeats; i++) {
    for (const mode of modes) {
      const once = first[mode];
      const took = once === undefined || once.ms > REPEAT_UNDER_MS ? undefined : await attempt(mode);
      if (took !== undefined) times[mode].push(took.ms);
    }
  }
  for (const mode of modes) {
    const once = first[mode];
    if (once === undefined) {
      console.log(`${name.padEnd(28)} ${mode.padEnd(8)} no answer within ${GIVE_UP_MS / 1000} s`);
      continue;
    }
    const sorted = times[mode].sort((a, b) => a - b);
    const median = sorted[Math.floor(sorted.length / 2)];
    const ms = (value: number | undefined): string => (value === undefined ? "—" : value.toFixed(1));
    console.log(
      `${name.padEnd(28)} ${mode.padEnd(8)} ${once.ms.toFixed(1).padStart(9)} ${ms(median).padStart(11)} ${ms(sorted.at(-1)).padStart(8)} ${once.bytes.toLocaleString("en-US").padStart(16)}`,
    );
  }
}

// FerretDB's own cost: the reads the graph makes, bare, through the driver.
const raw = new MongoClient(mongo.uri);
const db = raw.db(database);
const bare = async (label: string, read: () => Promise<unknown[]>): Promise<void> => {
  const ms: number[] = [];
  let n = 0;
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    n = (await read()).length;
    ms.push(performance.now() - started);
  }
  ms.sort((a, b) => a - b);
  console.log(`bare find, ${label}: ${n} documents, median ${(ms[2] ?? 0).toFixed(1)} ms`);
};
const projection = { _id: 0, seq: 1, timestamp: 1, requests: 1, histogram: 1 };
await bare("the day's chunk documents (by filter)", () =>
  db.collection("metrics_blocks").find({ loadTestRunId: mongoRun.runId }, { projection }).toArray(),
);
await bare("the day's snapshots (chart fields)", () =>
  db.collection("metrics_timeseries").find({ loadTestRunId: mongoRun.runId }, { projection }).toArray(),
);
await raw.close();

await stopServerProcess(servers.sqlite.child);
await stopServerProcess(servers.mongodb.child);
await mongo.stop();
rmSync(dir, { recursive: true, force: true });
