/**
 * The figures of a row of request stats that thresholds and comparisons name. Free of schemas, so
 * the dashboard's bundle can use it without zod.
 */
import type { RequestStatsRow } from "./analytics.js";
import type { RunResults } from "./results.js";

export const THRESHOLD_METRICS = ["p50", "p90", "p95", "p99", "avg", "max", "rps", "error_rate"] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
/** The figures a threshold is checked against (ms for times, per second for rps, percent for error_rate). */
export type Figures = Record<ThresholdMetric, number>;

export const errorRatePercent = (requests: number, failures: number): number =>
  requests > 0 ? (100 * failures) / requests : 0;

/** The figures of one row of request stats that thresholds can name. */
export function figuresOf(row: RequestStatsRow): Figures {
  return {
    p50: row.p50ResponseMs,
    p90: row.p90ResponseMs,
    p95: row.p95ResponseMs,
    p99: row.p99ResponseMs,
    avg: row.avgResponseMs,
    max: row.maxResponseMs,
    rps: row.requestsPerSec,
    error_rate: errorRatePercent(row.numRequests, row.numFailures),
  };
}

/** A run's whole-run figures from its row of all endpoints together. */
export function runResultsOf(total: RequestStatsRow): RunResults {
  return {
    totalRequests: total.numRequests,
    totalFailures: total.numFailures,
    requestsPerSec: total.requestsPerSec,
    errorRatePercent: errorRatePercent(total.numRequests, total.numFailures),
    avgResponseMs: total.avgResponseMs,
    p50ResponseMs: total.p50ResponseMs,
    p95ResponseMs: total.p95ResponseMs,
    p99ResponseMs: total.p99ResponseMs,
    maxResponseMs: total.maxResponseMs,
  };
}
