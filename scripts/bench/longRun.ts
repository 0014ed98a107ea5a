import { join } from "node:path";
import { metricSnapshotInputSchema } from "@loadmgr/shared";
import { SqliteStore } from "../../server/src/store/sqlite/sqliteStore.js";
import { makeLoadTest, makeRun } from "../../test/helpers/fixtures.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

/**
 * Stores one finished run of `hours` at a 2 s interval (20 endpoints, the synthetic load of the other
 * benchmarks) in a SQLite file under `dir`, through the store's own ingest path. Resolves with the run's
 * id and how many snapshots it holds.
 */
export async function storeLongRun(
  dir: string,
  hours: number,
  t0: number,
): Promise<{ runId: string; snapshots: number }> {
  const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
  const store = new SqliteStore(join(dir, "loadmgr.sqlite"));
  await store.init();
  const { test, revision } = makeLoadTest();
  await store.createLoadTest(test, revision);
  const run = makeRun(test, { status: "Finished", startedAt: t0, finishedAt: t0 + hours * 3_600_000 });
  await store.createRun(run);
  const random = seededRandom(7);
  const started = Date.now();
  for (let seq = 1; seq <= snapshots; seq++) {
    const { requestSamples: _samples, ...snapshot } = metricSnapshotInputSchema.parse(
      syntheticSnapshot(run.id, seq, random, { ...DEFAULT_SHAPE, samples: false }, t0),
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
  return { runId: run.id, snapshots };
}
