/** The schemas of thresholds and verdicts; parsing and judging are in judge.ts (no zod). */
import { z } from "zod";
import { timestampSchema } from "./fields.js";
import { parseThreshold, type RunVerdict, type ThresholdCheck } from "./judge.js";

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

export const thresholdCheckSchema: z.ZodType<ThresholdCheck> = z.object({
  threshold: z.string(),
  measured: z.number().nullable().describe("null: the run never called that endpoint (the check fails)"),
  passed: z.boolean(),
});

export const runVerdictSchema: z.ZodType<RunVerdict> = z.object({
  passed: z.boolean().describe("every threshold held"),
  checkedAt: timestampSchema,
  checks: z.array(thresholdCheckSchema),
});
