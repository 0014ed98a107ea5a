// What one push costs the server's main thread, part by part, without HTTP: the body's JSON parse, the
// ingest input's validation (zod), the stored record (chart figures, packed histograms, compressed
// detail), the metrics store's insert (SQLite, a file), and the answer's JSON. Realistic 20-endpoint
// snapshots (syntheticSnapshots.ts) of 50 runs; each part timed over the same N pushes, after a warm-up.
//   node --conditions=loadmgr-source --import tsx scripts/bench/push-parts.ts [pushes=2000] [rounds=3]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { metricSnapshotInputSchema, type MetricSnapshot } from "@loadmgr/shared";
import { SqliteMetricsStore } from "../../server/src/metrics/sqlite/sqliteMetrics.js";
import { snapshotRecord } from "../../server/src/metrics/snapshotRecord.js";
import { printCalibration } from "./calibration.js";
import { snapshotBodies } from "./syntheticSnapshots.js";

await printCalibration();
const pushes = Number(process.argv[2] ?? 2000);
const rounds = Number(process.argv[3] ?? 3);
const RUNS = 50;
const body = snapshotBodies();
const runIds = Array.from(
  { length: RUNS },
  (_, i) => `01a2520e-17e9-718b-a163-4ffea6663f${String(i).padStart(2, "0")}`,
);
const texts = Array.from({ length: pushes }, (_, i) => {
  const payload = body(runIds[i % RUNS] ?? "", Math.floor(i / RUNS) + 1);
  return typeof payload === "string" ? payload : Buffer.from(payload).toString("utf8");
});
const parsed = texts.map((text) => JSON.parse(text) as unknown);
const snapshots: MetricSnapshot[] = parsed.map((value) => {
  const { requestSamples: _samples, ...input } = metricSnapshotInputSchema.parse(value);
  return { ...input, loadTestId: "bench", accountId: "acme", orgId: "web", projectId: "bench", envId: null };
});
console.log(`${pushes} pushes of ${((texts[0]?.length ?? 0) / 1024).toFixed(1)} KiB, ${RUNS} runs, ${rounds} rounds`);

/** µs per push of `part` over every push. */
function perPush(part: (i: number) => unknown): number {
  const started = performance.now();
  for (let i = 0; i < pushes; i++) part(i);
  return ((performance.now() - started) / pushes) * 1000;
}

const figures = new Map<string, number[]>();
const note = (name: string, us: number): void => void figures.set(name, [...(figures.get(name) ?? []), us]);
for (let round = 1; round <= rounds; round++) {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-push-parts-"));
  const store = new SqliteMetricsStore(join(dir, "metrics.sqlite"));
  await store.init();
  note(
    "JSON.parse of the body",
    perPush((i) => JSON.parse(texts[i] ?? "")),
  );
  note(
    "input validation (zod)",
    perPush((i) => metricSnapshotInputSchema.parse(parsed[i])),
  );
  note(
    "stored record",
    perPush((i) => snapshotRecord(snapshots[i] as MetricSnapshot)),
  );
  // The store's insert includes its own record; the difference is SQLite's part.
  const started = performance.now();
  for (const snapshot of snapshots) await store.addMetricSnapshot(snapshot);
  note("store insert (record included)", ((performance.now() - started) / pushes) * 1000);
  note(
    "the answer's JSON",
    perPush((i) => JSON.stringify({ ok: true, status: "Running", duplicate: i < 0, load: null })),
  );
  await store.close();
  rmSync(dir, { recursive: true, force: true });
}
console.log("part                              µs per push, median (min–max of rounds)");
for (const [name, values] of figures) {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? 0;
  console.log(
    `${name.padEnd(34)}${median.toFixed(0).padStart(6)} (${(sorted[0] ?? 0).toFixed(0)}–${(sorted.at(-1) ?? 0).toFixed(0)})`,
  );
}
