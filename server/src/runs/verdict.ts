import { judge, requestStatsRow, type LoadTestRun, type RunVerdict } from "@loadmgr/shared";
import { runStats } from "../analytics/runStats.js";
import type { Store } from "../store/store.js";

/**
 * A run's thresholds judged against everything it stored, for the transition that ends it (null
 * without thresholds). Locust's final snapshot arrives before its stop call, so nothing is missed.
 */
export async function verdictOf(store: Store, run: LoadTestRun, now: number): Promise<RunVerdict | null> {
  if (run.thresholds.length === 0) return null;
  const stats = await runStats(store, run.id);
  const seconds = stats.activeMs / 1000;
  const rows = {
    total: requestStatsRow(stats.total(), seconds),
    endpoints: stats.sortedEndpoints().map((totals) => requestStatsRow(totals, seconds)),
  };
  return judge(run.thresholds, rows, now);
}
