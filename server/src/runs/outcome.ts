import { judge, runResultsOf, type LoadTestRun, type RunResults, type RunVerdict } from "@loadmgr/shared";
import { requestRows, runStats } from "../analytics/runStats.js";
import type { MetricsStore } from "../metrics/metricsStore.js";

/**
 * What the transition that ends a run stores: the whole run's figures, and its thresholds judged
 * against them (null without thresholds). Both come from everything the run stored (the rows
 * `/requests` shows); Locust's final snapshot arrives before its stop call, so nothing is missed.
 */
export async function outcomeOf(
  metrics: MetricsStore,
  run: LoadTestRun,
  now: number,
): Promise<{ results: RunResults; verdict: RunVerdict | null }> {
  const rows = requestRows(await runStats(metrics, run.id));
  return {
    results: runResultsOf(rows.total),
    verdict: run.thresholds.length === 0 ? null : judge(run.thresholds, rows, now),
  };
}
