// No zod here: the dashboard imports this file as it is (it judges thresholds live).
/** k6-style pass/fail criteria on a run's results: `p95<300`, `error_rate<1%`, `rps>50`, `GET /api:p99<500`. */
import type { RequestStatsRow } from "./analytics.js";
import { figuresOf, THRESHOLD_METRICS, type ThresholdMetric } from "./figures.js";

type Operator = "<" | "<=" | ">" | ">=";

export interface Threshold {
  text: string;
  /** "METHOD name" of one endpoint, or undefined for the whole run. */
  endpoint: { method: string; name: string } | undefined;
  metric: ThresholdMetric;
  operator: Operator;
  value: number;
}

export class ThresholdError extends Error {}

const EXPRESSION =
  /^(?:(?<method>[A-Z]+)\s+(?<name>\S.*?):)?(?<metric>[a-z_0-9]+)\s*(?<operator><=|>=|<|>)\s*(?<value>\d+(?:\.\d+)?)\s*(?<unit>%|ms)?$/;

export function parseThreshold(text: string): Threshold {
  const match = EXPRESSION.exec(text.trim());
  const groups = match?.groups;
  if (groups === undefined) {
    throw new ThresholdError(
      `bad threshold "${text}": write <metric><op><value>, e.g. "p95<300", "error_rate<1%", "rps>50", "GET /api:p99<500"`,
    );
  }
  const metric = groups.metric as ThresholdMetric;
  if (!THRESHOLD_METRICS.includes(metric)) {
    throw new ThresholdError(
      `bad threshold "${text}": unknown metric "${metric}" (use ${THRESHOLD_METRICS.join(", ")})`,
    );
  }
  if (groups.unit === "%" && metric !== "error_rate") {
    throw new ThresholdError(`bad threshold "${text}": only error_rate takes a %`);
  }
  if (groups.unit === "ms" && (metric === "rps" || metric === "error_rate")) {
    throw new ThresholdError(`bad threshold "${text}": ${metric} is not a time`);
  }
  return {
    text,
    endpoint: groups.method !== undefined ? { method: groups.method, name: groups.name ?? "" } : undefined,
    metric,
    operator: groups.operator as Operator,
    value: Number(groups.value),
  };
}

export const MAX_THRESHOLDS = 50;

export interface ThresholdCheck {
  threshold: string;
  /** null: the run never called that endpoint (the check fails). */
  measured: number | null;
  passed: boolean;
}

export interface RunVerdict {
  /** Every threshold held. */
  passed: boolean;
  checkedAt: number;
  checks: ThresholdCheck[];
}

/** Checks each threshold against a run's stats; one on a run or endpoint without requests fails (measured: null). */
export function judge(
  thresholds: string[],
  stats: { total: RequestStatsRow; endpoints: RequestStatsRow[] },
  checkedAt: number,
): RunVerdict {
  // Nothing measured is no pass: a threshold on a run or endpoint without requests fails.
  const measured = (row: RequestStatsRow) => (row.numRequests > 0 ? figuresOf(row) : undefined);
  const endpoints = new Map(stats.endpoints.map((row) => [`${row.method} ${row.name}`, measured(row)]));
  const total = measured(stats.total);
  const checks = thresholds.map(parseThreshold).map((threshold): ThresholdCheck => {
    const figures =
      threshold.endpoint === undefined
        ? total
        : endpoints.get(`${threshold.endpoint.method} ${threshold.endpoint.name}`);
    if (figures === undefined) return { threshold: threshold.text, measured: null, passed: false };
    const measured = figures[threshold.metric];
    const passed =
      threshold.operator === "<"
        ? measured < threshold.value
        : threshold.operator === "<="
          ? measured <= threshold.value
          : threshold.operator === ">"
            ? measured > threshold.value
            : measured >= threshold.value;
    return { threshold: threshold.text, measured, passed };
  });
  return { passed: checks.every((c) => c.passed), checkedAt, checks };
}

/** How a threshold stands while a run goes: within 10 % of its limit is at risk. */
export type ThresholdState = "held" | "at risk" | "breached" | "no data";

/** Each threshold judged against the run's figures so far, with how close it is to its limit. */
export function thresholdStates(
  thresholds: string[],
  stats: { total: RequestStatsRow; endpoints: RequestStatsRow[] },
): { threshold: string; measured: number | null; state: ThresholdState }[] {
  const { checks } = judge(thresholds, stats, 0);
  return checks.map((check) => {
    const { operator, value } = parseThreshold(check.threshold);
    const { measured } = check;
    if (measured === null) return { threshold: check.threshold, measured, state: "no data" };
    if (!check.passed) return { threshold: check.threshold, measured, state: "breached" };
    const close = operator === "<" || operator === "<=" ? measured >= 0.9 * value : measured <= 1.1 * value;
    return { threshold: check.threshold, measured, state: close ? "at risk" : "held" };
  });
}
