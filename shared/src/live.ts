import { z } from "zod";
import { errorCountSchema, graphPointSchema, requestStatsRowSchema } from "./analytics.js";
import { entityIdSchema, scopeIdSchema } from "./fields.js";
import type { RequestSample } from "./ingest.js";

/** Request samples kept per run for a request log opened late. */
export const REQUEST_LOG_WINDOW = 500;

export const onMetricsInputSchema = z.strictObject({
  runId: entityIdSchema,
  lastEventId: z
    .string()
    .regex(/^\d+$/, "must be the seq of a snapshot already received")
    .nullish()
    .describe("resume after this snapshot (its seq); the client sends it on reconnect"),
});

export const onStatusInputSchema = z.strictObject({
  accountId: scopeIdSchema.optional(),
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
  loadTestId: entityIdSchema.optional(),
});

export const onRequestLogInputSchema = z.strictObject({ runId: entityIdSchema });

/** One snapshot as a live dashboard wants it: a chart point, the interval's figures per endpoint, running totals. */
export const liveMetricsSchema = graphPointSchema.extend({
  runId: entityIdSchema,
  intervalMs: z.number().int(),
  final: z.boolean(),
  totalRequests: z.number().int().describe("since the run started"),
  totalFailures: z.number().int(),
  endpoints: z.array(requestStatsRowSchema).describe("this interval's figures per endpoint"),
  errors: z.array(errorCountSchema).describe("this interval's errors"),
});
export type LiveMetrics = z.infer<typeof liveMetricsSchema>;

export interface RequestLogBatch {
  runId: string;
  samples: RequestSample[];
}
