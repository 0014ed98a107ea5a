import { join } from "node:path";
import {
  metricSnapshotInputSchema,
  type LoadTest,
  type MetricSnapshot,
  type MetricSnapshotInput,
} from "@loadmgr/shared";
import type { MetricsStore } from "../../server/src/metrics/metricsStore.js";
import { SqliteMetricsStore } from "../../server/src/metrics/sqlite/sqliteMetrics.js";
import { SqliteStore } from "../../server/src/store/sqlite/sqliteStore.js";
import type { Store } from "../../server/src/store/store.js";
import { makeLoadTest, makeRun } from "../../test/helpers/fixtures.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";

export interface BenchStores {
  store: Store;
  metrics: MetricsStore;
}

/** A parsed push as the server stores it: with its test's scope. */
export function storedSnapshot(
  push: Omit<MetricSnapshotInput, "requestSamples">,
  test: LoadTest,
  final: boolean,
): MetricSnapshot {
  return {
    ...push,
    final,
    loadTestId: test.id,
    accountId: test.accountId,
    orgId: test.orgId,
    projectId: test.projectId,
    envId: null,
  };
}

/** The embedded stores on `<dir>/loadmgr.sqlite`, as the server opens them. */
export function sqliteStores(dir: string): BenchStores {
  const path = join(dir, "loadmgr.sqlite");
  return { store: new SqliteStore(path), metrics: new SqliteMetricsStore(path) };
}

/**
 * Stores one finished run of `hours` at a 2 s interval (20 endpoints, the synthetic load of the other
 * benchmarks) through the stores' own ingest path (`inFlight` pushes at a time, as several
 * generators would send them), waits for the background merges, and closes the stores. Resolves with
 * the run's id and how many snapshots it holds.
 */
export async function storeLongRun(
  { store, metrics }: BenchStores,
  hours: number,
  t0: number,
  inFlight = 1,
): Promise<{ runId: string; snapshots: number }> {
  const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
  await store.init();
  await metrics.init();
  const { test, revision } = makeLoadTest();
  await store.tests.create(test, revision, []);
  const run = makeRun(test, { status: "Finished", startedAt: t0, finishedAt: t0 + hours * 3_600_000 });
  await store.runs.create(run);
  const random = seededRandom(7);
  const started = Date.now();
  let next = 1;
  const pushNext = async (): Promise<void> => {
    for (let seq = next++; seq <= snapshots; seq = next++) {
      const { requestSamples: _samples, ...snapshot } = metricSnapshotInputSchema.parse(
        syntheticSnapshot(run.id, seq, random, { ...DEFAULT_SHAPE, samples: false }, t0),
      );
      await metrics.addMetricSnapshot(storedSnapshot(snapshot, test, seq === snapshots));
      await store.runs.setLastMetrics(run.id, {
        timestamp: snapshot.timestamp,
        seq,
        users: snapshot.users,
        requestsPerSec: 1000,
        failuresPerSec: 10,
        totalRequests: snapshot.totalRequests,
        totalFailures: snapshot.totalFailures,
        avgResponseMs: 100,
      });
      if (seq % 4320 === 0 || seq === snapshots) {
        const rate = Math.round(seq / ((Date.now() - started) / 1000));
        process.stdout.write(`\rstored ${seq}/${snapshots} snapshots (${rate}/s through the store)   `);
      }
    }
  };
  await Promise.all(Array.from({ length: inFlight }, pushNext));
  process.stdout.write("\n");
  await metrics.settle();
  await metrics.close();
  await store.close();
  return { runId: run.id, snapshots };
}
