/** k6-style pass/fail criteria on a run's results: `p95<300`, `error_rate<1%`, `rps>50`, `GET /api:p99<500`. */
import { z } from "zod";
import type { RequestStatsRow } from "./analytics.js";
import { figuresOf, THRESHOLD_METRICS, type ThresholdMetric } from "./figures.js";
import { timestampSchema } from "./fields.js";

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

/** A threshold as written, checked when it arrives: a bad one is refused with the reason. */
export const thresholdExpressionSchema = z
  .string()
  .trim()
  .max(300)
  .superRefine((text, ctx) => {
    try {
      parseThreshold(text);
    } catch (error) {
      ctx.addIssue({ code: "custom", message: (error as Error).message });
    }
  });

export const MAX_THRESHOLDS = 50;

export const thresholdCheckSchema = z.object({
  threshold: z.string(),
  measured: z.number().nullable().describe("null: the run never called that endpoint (the check fails)"),
  passed: z.boolean(),
});
export type ThresholdCheck = z.infer<typeof thresholdCheckSchema>;

export const runVerdictSchema = z.object({
  passed: z.boolean().describe("every threshold held"),
  checkedAt: timestampSchema,
  checks: z.array(thresholdCheckSchema),
});
export type RunVerdict = z.infer<typeof runVerdictSchema>;

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
