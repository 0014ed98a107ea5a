/** The schemas of thresholds and verdicts; parsing and judging are in judge.ts (no zod). */
import { z } from "zod";
import { timestampSchema } from "./fields.js";
import type { RegressionRule } from "./compare.js";
import {
  MAX_ABORT_WINDOW_SEC,
  parseThreshold,
  type AbortCause,
  type Regression,
  type RunVerdict,
  type ThresholdCheck,
  type ThresholdItem,
} from "./judge.js";

const NUMBER = String.raw`\d+(\.\d+)?`;
const OPERATOR = String.raw`\s*(<=|>=|<|>)\s*`;
/**
 * parseThreshold's grammar as one pattern, for the published document (the parser says what is wrong;
 * this only states what is right): an optional "METHOD name:", then a time with "ms" or none, rps, or
 * error_rate with "%" or none.
 */
export const THRESHOLD_PATTERN =
  String.raw`^\s*([A-Z]+\s+\S.*:)?(` +
  String.raw`(p50|p90|p95|p99|avg|max)${OPERATOR}${NUMBER}\s*(ms)?|rps${OPERATOR}${NUMBER}|error_rate${OPERATOR}${NUMBER}\s*%?` +
  String.raw`)\s*$`;

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
  })
  .meta({ pattern: THRESHOLD_PATTERN });

/** A threshold that may stop the run while it runs (k6's abortOnFail). */
export const thresholdRuleSchema = z
  .strictObject({
    threshold: thresholdExpressionSchema,
    abortOnFail: z
      .boolean()
      .default(false)
      .describe("stop the run (it ends Failed) as soon as a stored snapshot breaks the threshold"),
    windowSec: z
      .number()
      .int()
      .min(1)
      .max(MAX_ABORT_WINDOW_SEC)
      .optional()
      .describe("judge over the last N seconds instead of the whole run so far"),
    delayAbortEvalSec: z.number().int().min(0).max(86_400).optional().describe("not before N seconds into the run"),
  })
  .superRefine((rule, ctx) => {
    if (rule.abortOnFail) return;
    for (const key of ["windowSec", "delayAbortEvalSec"] as const) {
      if (rule[key] !== undefined)
        ctx.addIssue({ code: "custom", path: [key], message: "only with abortOnFail: true (it shapes the abort)" });
    }
  })
  // The rule above, as JSON Schema says it: a window or a delay only on a rule that aborts.
  .meta({
    oneOf: [
      {
        properties: { abortOnFail: { const: false } },
        not: { anyOf: [{ required: ["windowSec"] }, { required: ["delayAbortEvalSec"] }] },
      },
      { properties: { abortOnFail: { const: true } }, required: ["abortOnFail"] },
    ],
  });

/** A threshold as a test or run lists it: an expression, or a rule around one. */
export const thresholdItemSchema: z.ZodType<ThresholdItem> = z.union([thresholdExpressionSchema, thresholdRuleSchema], {
  // When neither form fits, say what is wrong with the form it was meant to be.
  error: (issue) => {
    const branches = "errors" in issue && Array.isArray(issue.errors) ? (issue.errors as z.core.$ZodIssue[][]) : [];
    const meant = typeof issue.input === "object" && issue.input !== null ? branches[1] : branches[0];
    const first = meant?.[0];
    if (first === undefined)
      return 'write a threshold as "p95<300" or {threshold, abortOnFail, windowSec, delayAbortEvalSec}';
    return first.path.length > 0 ? `${first.path.join(".")}: ${first.message}` : first.message;
  },
});

/** A threshold as stored on a test or run (already checked when it arrived). */
export const storedThresholdSchema: z.ZodType<ThresholdItem> = z.union([
  z.string(),
  z.object({
    threshold: z.string(),
    abortOnFail: z.boolean().optional(),
    windowSec: z.number().int().optional(),
    delayAbortEvalSec: z.number().int().optional(),
  }),
]);

export const thresholdCheckSchema: z.ZodType<ThresholdCheck> = z.object({
  threshold: z.string(),
  measured: z.number().nullable().describe("null: the run never called that endpoint (the check fails)"),
  passed: z.boolean(),
});

const abortCauseSchema: z.ZodType<AbortCause> = z.object({
  threshold: z.string(),
  measured: z.number().nullable(),
  windowSec: z.number().int().nullable().describe("null: over the whole run so far"),
  atSec: z.number().int().describe("seconds into the run of the snapshot that broke it"),
  seq: z.number().int().describe("that snapshot's seq"),
});

export const regressionSchema: z.ZodType<Regression> = z.object({
  endpoint: z.string().describe('"METHOD name", or "Aggregated" for the whole run'),
  metric: z.enum(["p95", "p99", "error_rate"]),
  baseline: z.number(),
  measured: z.number(),
  change: z.number().describe("p95/p99: the change in percent; error_rate: in percentage points"),
});

export const runVerdictSchema: z.ZodType<RunVerdict> = z.object({
  passed: z
    .boolean()
    .describe("every threshold held, no threshold aborted the run, and (with failOnRegression) nothing regressed"),
  checkedAt: timestampSchema,
  checks: z.array(thresholdCheckSchema).describe("each threshold over the whole run"),
  aborted: z.boolean().describe("a threshold with abortOnFail stopped the run"),
  abortedBy: abortCauseSchema.nullable().describe("the threshold that stopped it, with its value over its window"),
  baselineRunId: z.string().nullable().describe("the baseline it was compared with when it ended; null: none"),
  regressions: z.array(regressionSchema).describe("what got worse than the baseline by more than the test's rule"),
});

/** How much worse than the baseline a run may get before it counts as regressed (per test). */
export const regressionRuleSchema: z.ZodType<RegressionRule> = z
  .strictObject({
    latencyPercent: z.number().min(0).max(1000).describe("p95/p99 slower by more than this share, in percent…"),
    latencyMinMs: z.number().min(0).max(600_000).describe("…and by at least this many ms"),
    errorRatePoints: z.number().min(0).max(100).describe("the error rate up by this many percentage points or more"),
  })
  .describe("default: p95/p99 more than 10 % and at least 1 ms slower, or errors up by a point or more");
