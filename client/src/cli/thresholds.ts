/** k6-style pass/fail criteria on a run's results: `p95<300`, `error_rate<1%`, `rps>50`, `GET /api:p99<500`. */

export const THRESHOLD_METRICS = ["p50", "p90", "p95", "p99", "avg", "max", "rps", "error_rate"] as const;
export type ThresholdMetric = (typeof THRESHOLD_METRICS)[number];
type Operator = "<" | "<=" | ">" | ">=";

export interface Threshold {
  text: string;
  /** "METHOD name" of one endpoint, or undefined for the whole run. */
  endpoint: { method: string; name: string } | undefined;
  metric: ThresholdMetric;
  operator: Operator;
  value: number;
}

/** The figures a threshold is checked against (ms for times, per second for rps, percent for error_rate). */
export type Figures = Record<ThresholdMetric, number>;

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

export interface Verdict {
  threshold: string;
  measured: number | null;
  passed: boolean;
}

/** Checks each threshold; one on an endpoint the run never called fails (measured: null). */
export function evaluate(
  thresholds: Threshold[],
  total: Figures,
  endpoints: Map<string, Figures>,
): { passed: boolean; verdicts: Verdict[] } {
  const verdicts = thresholds.map((threshold): Verdict => {
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
  return { passed: verdicts.every((v) => v.passed), verdicts };
}
