import { z } from "zod";
import { entityIdSchema, timestampSchema } from "./fields.js";
import { runStatusSchema } from "./fields.js";
import { MAX_RUN_REGIONS, regionNameSchema } from "./agents.js";

/** What the Locust plugin sends to /v1/internal/locust/*. Limits keep one snapshot well under 1 MiB. */
export const MAX_ENDPOINTS_PER_SNAPSHOT = 1000;
export const MAX_BUCKETS_PER_ENDPOINT = 2000;
export const MAX_ERRORS_PER_SNAPSHOT = 500;
/** Request samples per snapshot for the live request log: every failure, a few successes. */
export const MAX_REQUEST_SAMPLES_PER_SNAPSHOT = 5000;

const countSchema = z.number().int().min(0).max(1e12);
/** Milliseconds of response time: up to a day. */
const responseMsSchema = z.number().min(0).max(86_400_000);

const MAX_BUCKET_MS = 86_400_000;
const MAX_COUNT = 1e12;

/**
 * Locust's response-time buckets for an interval: [bucket ms, count] pairs. Checked by one loop
 * rather than a zod tuple per pair: a snapshot carries thousands of them, and ingest is the hot path.
 */
const histogramSchema = z
  .array(z.unknown())
  .max(MAX_BUCKETS_PER_ENDPOINT)
  .check((ctx) => {
    const pairs = ctx.value;
    for (let i = 0; i < pairs.length; i++) {
      const pair = pairs[i];
      const ok =
        Array.isArray(pair) &&
        pair.length === 2 &&
        Number.isInteger(pair[0]) &&
        (pair[0] as number) >= 0 &&
        (pair[0] as number) <= MAX_BUCKET_MS &&
        Number.isInteger(pair[1]) &&
        (pair[1] as number) >= 1 &&
        (pair[1] as number) <= MAX_COUNT;
      if (!ok) {
        ctx.issues.push({
          code: "custom",
          input: pair,
          path: [i],
          message: `must be [bucket ms (integer 0–${MAX_BUCKET_MS}), count (integer ≥ 1)]`,
        });
        return;
      }
    }
  })
  .meta({
    description: "Locust's response-time buckets for this interval: [bucket ms, count] pairs",
    override: {
      type: "array",
      maxItems: MAX_BUCKETS_PER_ENDPOINT,
      items: {
        type: "array",
        minItems: 2,
        maxItems: 2,
        items: { type: "integer", minimum: 0 },
        description: "[bucket ms (0–86400000), count (≥ 1)]",
      },
    },
  }) as unknown as z.ZodType<[number, number][]>;

export const endpointIntervalSchema = z.strictObject({
  method: z.string().max(32),
  name: z.string().min(1).max(2000),
  requests: countSchema,
  failures: countSchema,
  sumResponseMs: z.number().min(0).max(1e15),
  minResponseMs: responseMsSchema,
  maxResponseMs: responseMsSchema,
  histogram: histogramSchema,
});
export type EndpointInterval = z.infer<typeof endpointIntervalSchema>;

export const intervalErrorSchema = z.strictObject({
  method: z.string().max(32),
  name: z.string().min(1).max(2000),
  error: z.string().max(2000),
  occurrences: countSchema.min(1),
});

export const requestSampleSchema = z.strictObject({
  timestamp: timestampSchema.describe("when the request started"),
  method: z.string().max(32),
  name: z.string().min(1).max(2000),
  url: z.string().max(2000).optional().describe("the full URL, when Locust had one"),
  responseMs: responseMsSchema,
  success: z.boolean(),
  error: z.string().max(2000).optional(),
});
export type RequestSample = z.infer<typeof requestSampleSchema>;

/** One region's part of a snapshot: what the run's workers in that region measured over the same seconds. */
export const regionIntervalSchema = z.strictObject({
  region: regionNameSchema,
  users: z.number().int().min(0).max(1e8).describe("the region's workers' users as the snapshot ends"),
  endpoints: z.array(endpointIntervalSchema).max(MAX_ENDPOINTS_PER_SNAPSHOT),
  errors: z.array(intervalErrorSchema).max(MAX_ERRORS_PER_SNAPSHOT).default([]),
});
export type RegionInterval = z.infer<typeof regionIntervalSchema>;

export const metricSnapshotInputSchema = z.strictObject({
  runId: entityIdSchema,
  seq: z.number().int().min(1).max(1e9).describe("1, 2, 3… per run; a resend keeps its number"),
  timestamp: timestampSchema,
  intervalMs: z.number().int().min(1).max(86_400_000).describe("how long the interval lasted"),
  final: z.boolean().default(false),
  users: z.number().int().min(0).max(1e8),
  totalRequests: countSchema.describe("cumulative since the run started"),
  totalFailures: countSchema,
  locustSpanMs: z
    .number()
    .int()
    .min(0)
    .max(1e12)
    .optional()
    .describe(
      "Locust's own basis of its rates, cumulative: its last request's time minus its test start (stats.total), in ms",
    ),
  endpoints: z.array(endpointIntervalSchema).max(MAX_ENDPOINTS_PER_SNAPSHOT),
  errors: z.array(intervalErrorSchema).max(MAX_ERRORS_PER_SNAPSHOT).default([]),
  requestSamples: z
    .array(requestSampleSchema)
    .max(MAX_REQUEST_SAMPLES_PER_SNAPSHOT)
    .default([])
    .describe("individual requests of the interval for the live request log; not stored"),
  regions: z
    .array(regionIntervalSchema)
    .max(MAX_RUN_REGIONS)
    .optional()
    .describe("a run split over regions: each region's part of the endpoints and errors above"),
});
export type MetricSnapshotInput = z.infer<typeof metricSnapshotInputSchema>;
/** What a pusher sends (defaults may be left out). */
export type MetricSnapshotPush = z.input<typeof metricSnapshotInputSchema>;

/** A stored snapshot: what the plugin sent (less its request samples), plus the run's place in the hierarchy. */
export type MetricSnapshot = Omit<MetricSnapshotInput, "requestSamples"> & {
  loadTestId: string;
  accountId: string;
  orgId: string;
  projectId: string;
  envId: string | null;
};

export const testStartInputSchema = z.strictObject({
  runId: entityIdSchema,
  timestamp: timestampSchema,
  locustVersion: z.string().max(64).optional(),
  workers: z.number().int().min(0).max(100_000).optional(),
  host: z.string().max(256).optional(),
});

export const STOP_REASONS = ["duration", "stopped", "error"] as const;

export const testStopInputSchema = z.strictObject({
  runId: entityIdSchema,
  timestamp: timestampSchema,
  reason: z.enum(STOP_REASONS).describe("duration elapsed (→ Finished), stopped (→ Stopped), error (→ Failed)"),
  message: z.string().max(2000).optional(),
  lastSeq: z.number().int().min(0).max(1e9).optional(),
});

export const ingestAckSchema = z.object({
  ok: z.literal(true),
  status: runStatusSchema,
  duplicate: z.boolean().optional().describe("true when this snapshot's seq was stored before"),
  load: z
    .object({
      version: z.number().int().describe("how many changes there have been: apply one newer than the last applied"),
      targetUsers: z.number().int(),
      spawnRate: z.number(),
    })
    .nullable()
    .optional()
    .describe("the load asked of the run now, when it was changed while it ran (POST /v1/runs/{id}/load)"),
});
export type IngestAck = z.infer<typeof ingestAckSchema>;

/** The files of a run's Locust that the server collects when its master ends, as Locust names them. */
export const RUN_FILE_NAMES = [
  "locust_stats.csv",
  "locust_stats_history.csv",
  "locust_failures.csv",
  "locust_exceptions.csv",
  "locust.log",
] as const;
export type RunFileName = (typeof RUN_FILE_NAMES)[number];
/** The most of one file the server keeps: a CSV's first, a log's last this many bytes. */
export const MAX_RUN_FILE_BYTES = 8 * 1024 * 1024;

export const runFileInputSchema = z.strictObject({
  runId: entityIdSchema,
  name: z.enum(RUN_FILE_NAMES),
  contentBase64: z
    .string()
    .max(Math.ceil(MAX_RUN_FILE_BYTES / 3) * 4)
    .regex(/^[A-Za-z0-9+/]*={0,2}$/, "must be base64")
    .describe(`the file's bytes, base64 (at most ${MAX_RUN_FILE_BYTES} bytes)`),
  truncated: z.boolean().describe("the file was longer: a CSV's first, a log's last MAX_RUN_FILE_BYTES bytes"),
});
export type RunFileInput = z.infer<typeof runFileInputSchema>;

export const runFileSchema = z.object({
  name: z.enum(RUN_FILE_NAMES),
  bytes: z.number().int(),
  truncated: z.boolean().describe("the file was longer on the generator: a CSV's first, a log's last 8 MiB are kept"),
  collectedAt: timestampSchema,
});
export type RunFile = z.infer<typeof runFileSchema>;
