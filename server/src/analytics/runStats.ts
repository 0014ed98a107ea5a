import { requestStatsRow, WindowStats, type RequestStatsRow } from "@loadmgr/shared";
import type { MetricsStore } from "../metrics/metricsStore.js";

/** The run's stats over every stored snapshot (empty before the first one). */
export async function runStats(metrics: MetricsStore, runId: string): Promise<WindowStats> {
  const record = await metrics.getRunStats(runId);
  return record === undefined ? new WindowStats() : WindowStats.fromRecord(record);
}

/** Stats as request rows over the time they measured: all endpoints together, and each one (sorted). */
export function requestRows(stats: WindowStats): { total: RequestStatsRow; endpoints: RequestStatsRow[] } {
  const seconds = stats.rateSeconds();
  return {
    total: requestStatsRow(stats.total(), seconds),
    endpoints: stats.sortedEndpoints().map((totals) => requestStatsRow(totals, seconds)),
  };
}
