import { judge, type LoadTestRun, type RunVerdict } from "@loadmgr/shared";
import { requestRows, runStats } from "../analytics/runStats.js";
import type { MetricsStore } from "../metrics/metricsStore.js";

/**
 * A run's thresholds judged against everything it stored (the rows `/requests` shows), for the
 * transition that ends it (null without thresholds). Locust's final snapshot arrives before its stop
 * call, so nothing is missed.
 */
export async function verdictOf(metrics: MetricsStore, run: LoadTestRun, now: number): Promise<RunVerdict | null> {
  if (run.thresholds.length === 0) return null;
  return judge(run.thresholds, requestRows(await runStats(metrics, run.id)), now);
}
