import {
  abortRules,
  judge,
  WindowStats,
  type AbortCause,
  type LoadTestRun,
  type MetricSnapshot,
} from "@loadmgr/shared";
import { requestRows, runStats } from "../analytics/runStats.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import { snapshotPages } from "../analytics/windowReads.js";

type Rows = ReturnType<typeof requestRows>;

/**
 * Judges a Running run's aborting thresholds (abortOnFail) as of a snapshot just stored: each over
 * its window (the snapshots of its last windowSec seconds, histograms merged: exact percentiles), or
 * over the whole run so far, once the run is delayAbortEvalSec old. Answers the first that breaks,
 * or null. A threshold without requests to judge (nothing measured yet) never aborts. It reads the
 * store, not what this process saw, so with several server processes each push is judged right.
 */
export async function abortCause(
  metrics: MetricsStore,
  run: LoadTestRun,
  snapshot: MetricSnapshot,
): Promise<AbortCause | null> {
  const rules = abortRules(run.thresholds);
  if (rules.length === 0 || run.startedAt === null) return null;
  const intoRunMs = snapshot.timestamp - run.startedAt;
  let whole: Rows | undefined;
  const windows = new Map<number, Rows>();
  for (const rule of rules) {
    if (intoRunMs < rule.delayAbortEvalSec * 1000) continue;
    let rows: Rows;
    if (rule.windowSec === null) {
      rows = whole ??= requestRows(await runStats(metrics, run.id));
    } else {
      const known = windows.get(rule.windowSec);
      rows = known ?? (await windowRows(metrics, run.id, snapshot.timestamp, rule.windowSec));
      windows.set(rule.windowSec, rows);
    }
    const [check] = judge([rule.threshold], rows, snapshot.timestamp).checks;
    if (check !== undefined && check.measured !== null && !check.passed) {
      return {
        threshold: rule.threshold,
        measured: check.measured,
        windowSec: rule.windowSec,
        atSec: Math.max(0, Math.round(intoRunMs / 1000)),
        seq: snapshot.seq,
      };
    }
  }
  return null;
}

/** The request rows of the snapshots that ended in the `windowSec` seconds up to `to`. */
async function windowRows(metrics: MetricsStore, runId: string, to: number, windowSec: number): Promise<Rows> {
  const stats = new WindowStats();
  for await (const page of snapshotPages(metrics, runId, { from: to - windowSec * 1000 + 1, to })) {
    for (const snapshot of page) stats.addSnapshot(snapshot);
  }
  return requestRows(stats);
}
