import { z } from "zod";
import { entityIdSchema, timestampSchema } from "./fields.js";
import { runStatusSchema } from "./fields.js";
import { runResultsSchema } from "./results.js";
import { regionNameSchema } from "./agents.js";
import type { EndpointTotals } from "./windowStats.js";
import { percentilesOf, type HistogramPairs } from "./histogram.js";

export const DEFAULT_GRAPH_POINTS = 500;
export const MAX_GRAPH_POINTS = 10_000;
export const DEFAULT_SCATTER_COLUMNS = 200;
export const DEFAULT_TREND_RUNS = 50;
export const MAX_TREND_RUNS = 200;

const queryTimestamp = z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER);

/** A time window over a run's snapshots, by snapshot timestamp (unix ms), both ends included. */
const windowShape = {
  id: entityIdSchema.describe("run id"),
  from: queryTimestamp.optional().describe("only snapshots at or after this time (unix ms)"),
  to: queryTimestamp.optional().describe("only snapshots at or before this time (unix ms)"),
};

function checkWindow(input: { from?: number | undefined; to?: number | undefined }, ctx: z.RefinementCtx): void {
  if (input.from !== undefined && input.to !== undefined && input.from > input.to) {
    ctx.addIssue({ code: "custom", path: ["from"], message: `from (${input.from}) is after to (${input.to})` });
  }
}

const nameFilter = z.string().min(1).max(2000).optional().describe("only the endpoint(s) with this name");

export const runIdInputSchema = z.strictObject({ id: entityIdSchema.describe("run id") });

export const requestsInputSchema = z.strictObject({
  id: entityIdSchema.describe("run id"),
  region: regionNameSchema.optional().describe("a run split over regions: only this region's figures"),
});

export const graphInputSchema = z
  .strictObject({
    ...windowShape,
    name: nameFilter,
    maxPoints: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_GRAPH_POINTS)
      .default(DEFAULT_GRAPH_POINTS)
      .describe("at most this many points; adjacent intervals are merged to fit, never dropped"),
  })
  .superRefine(checkWindow);

export const windowInputSchema = z.strictObject({ ...windowShape, name: nameFilter }).superRefine(checkWindow);

/** Points in one page of a time series: pages keep every answer small, whatever the window. */
export const DEFAULT_TIMESERIES_PAGE = 1_000;
export const MAX_TIMESERIES_PAGE = 2_000;

export const timeseriesInputSchema = z
  .strictObject({
    ...windowShape,
    name: nameFilter,
    afterSeq: z.coerce
      .number()
      .int()
      .min(0)
      .max(Number.MAX_SAFE_INTEGER)
      .optional()
      .describe("only snapshots after this seq: the previous page's nextAfterSeq"),
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_TIMESERIES_PAGE)
      .default(DEFAULT_TIMESERIES_PAGE)
      .describe("at most this many points in the page"),
  })
  .superRefine(checkWindow);
export type TimeseriesInput = z.input<typeof timeseriesInputSchema>;

export const scatterInputSchema = z
  .strictObject({
    ...windowShape,
    name: nameFilter,
    maxColumns: z.coerce
      .number()
      .int()
      .min(1)
      .max(MAX_GRAPH_POINTS)
      .default(DEFAULT_SCATTER_COLUMNS)
      .describe("at most this many time columns; adjacent intervals are merged to fit"),
  })
  .superRefine(checkWindow);

export const trendInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_TREND_RUNS)
    .default(DEFAULT_TREND_RUNS)
    .describe("newest runs to include"),
});

/** A response time of an interval: null when it timed no request (a gap in a chart, never 0 ms). */
const intervalMsSchema = z.number().nullable().describe("null when the interval timed no request");

export const graphPointSchema = z.object({
  seq: z.number().int().describe("seq of the newest snapshot merged into the point"),
  timestamp: timestampSchema.describe("end of the merged intervals"),
  users: z.number().int().describe("users at the end of the merged intervals"),
  requestsPerSec: z.number(),
  failuresPerSec: z.number(),
  avgResponseMs: intervalMsSchema,
  p50ResponseMs: intervalMsSchema,
  p95ResponseMs: intervalMsSchema,
  p99ResponseMs: intervalMsSchema,
});
export type GraphPoint = z.infer<typeof graphPointSchema>;

export const graphSchema = z.object({
  runId: entityIdSchema,
  intervalsPerPoint: z.number().int().describe("snapshots merged into each point (the last point may have fewer)"),
  lastSeq: z.number().int().describe("seq of the newest snapshot included: pass as lastEventId to runs.onMetrics"),
  points: z.array(graphPointSchema),
});
export type Graph = z.infer<typeof graphSchema>;

export const requestStatsRowSchema = z.object({
  method: z.string(),
  name: z.string(),
  numRequests: z.number().int(),
  numFailures: z.number().int(),
  requestsPerSec: z.number(),
  failuresPerSec: z.number(),
  avgResponseMs: z.number(),
  minResponseMs: z.number(),
  maxResponseMs: z.number(),
  p50ResponseMs: z.number(),
  p90ResponseMs: z.number(),
  p95ResponseMs: z.number(),
  p99ResponseMs: z.number(),
});
export type RequestStatsRow = z.infer<typeof requestStatsRowSchema>;

export const errorCountSchema = z.object({
  method: z.string(),
  name: z.string(),
  error: z.string(),
  occurrences: z.number().int(),
});

export const requestStatsSchema = z.object({
  runId: entityIdSchema,
  endpoints: z.array(
    requestStatsRowSchema.extend({
      failureMessages: z.array(z.object({ error: z.string(), occurrences: z.number().int() })),
    }),
  ),
  total: requestStatsRowSchema.describe('all endpoints together (Locust\'s "Aggregated" row)'),
  region: z.string().nullable().describe("the region these figures are of; null: the whole run"),
  regions: z
    .array(
      z.object({
        region: z.string(),
        share: z.number().int().describe("percent of the workers asked for"),
        workers: z.number().int().describe("worker processes placed in it"),
        users: z.number().int().describe("its workers' users as the newest snapshot ended"),
        maxUsers: z.number().int().describe("the most users its workers ran at once (as a snapshot ended)"),
        total: requestStatsRowSchema.describe("all its endpoints together"),
      }),
    )
    .describe(
      "a run split over regions: each region's totals beside the whole run's (GET …?region= for its endpoints); [] otherwise",
    ),
});
export type RequestStats = z.infer<typeof requestStatsSchema>;

export const runSummarySchema = z.object({
  runId: entityIdSchema,
  loadTestId: entityIdSchema,
  name: z.string(),
  status: runStatusSchema,
  failureReason: z.string().nullable(),
  scriptRevisionId: entityIdSchema,
  revisionNumber: z.number().int().nullable(),
  targetUsers: z.number().int(),
  spawnRate: z.number(),
  durationSec: z.number().int().describe("the run's configured duration"),
  durationSeconds: z.number().int().meta({ deprecated: true }).describe("deprecated: durationSec, the same value"),
  startedAt: timestampSchema.nullable(),
  finishedAt: timestampSchema.nullable(),
  elapsedSec: z.number().describe("time covered by the run's snapshots"),
  elapsedSeconds: z.number().meta({ deprecated: true }).describe("deprecated: elapsedSec, the same value"),
  users: z.number().int().describe("users in the newest snapshot"),
  maxUsers: z.number().int(),
  totalRequests: z.number().int(),
  totalFailures: z.number().int(),
  requestsPerSec: z.number().describe("whole-run average"),
  currentRequestsPerSec: z.number().describe("in the newest snapshot's interval"),
  errorRatePercent: z.number().describe("failures per 100 requests (0–100)"),
  avgResponseMs: z.number(),
  minResponseMs: z.number(),
  maxResponseMs: z.number(),
  p50ResponseMs: z.number(),
  p95ResponseMs: z.number(),
  p99ResponseMs: z.number(),
  warnings: z
    .array(z.string())
    .describe("what a reader of these figures should know (endpoint names folded into one row, …)"),
});
export type RunSummary = z.infer<typeof runSummarySchema>;

export const timeseriesPointSchema = z.object({
  seq: z.number().int(),
  timestamp: timestampSchema,
  intervalMs: z.number().int(),
  users: z.number().int(),
  requests: z.number().int(),
  failures: z.number().int(),
  requestsPerSec: z.number(),
  failuresPerSec: z.number(),
  avgResponseMs: intervalMsSchema,
  minResponseMs: intervalMsSchema,
  maxResponseMs: intervalMsSchema,
  p50ResponseMs: intervalMsSchema,
  p95ResponseMs: intervalMsSchema,
  p99ResponseMs: intervalMsSchema,
});
export type TimeseriesPoint = z.infer<typeof timeseriesPointSchema>;

export const timeseriesSchema = z.object({
  runId: entityIdSchema,
  name: z.string().nullable().describe("the endpoint name filter, if any"),
  points: z.array(timeseriesPointSchema),
  nextAfterSeq: z
    .number()
    .int()
    .nullable()
    .describe("pass as afterSeq for the next page; null on the window's last page"),
});
export type Timeseries = z.infer<typeof timeseriesSchema>;

export const scatterSchema = z.object({
  runId: entityIdSchema,
  name: z.string().nullable(),
  intervalsPerColumn: z.number().int(),
  distribution: z
    .array(z.object({ responseMs: z.number(), count: z.number().int() }))
    .describe("the window's response-time histogram (Locust's buckets)"),
  points: z
    .array(z.object({ timestamp: timestampSchema, responseMs: z.number(), count: z.number().int() }))
    .describe("per time column, how many requests took each bucket's time"),
});
export type Scatter = z.infer<typeof scatterSchema>;

export const aggregateSchema = z.object({
  runId: entityIdSchema,
  name: z.string().nullable(),
  from: timestampSchema.nullable().describe("start of the first interval in the window"),
  to: timestampSchema.nullable().describe("end of the last interval in the window"),
  snapshots: z.number().int(),
  measuredSec: z.number().describe("sum of the intervals' lengths"),
  measuredSeconds: z.number().meta({ deprecated: true }).describe("deprecated: measuredSec, the same value"),
  users: z.number().int(),
  maxUsers: z.number().int(),
  total: requestStatsRowSchema,
  endpoints: z.array(requestStatsRowSchema),
  errors: z.array(errorCountSchema),
});
export type Aggregate = z.infer<typeof aggregateSchema>;

export const trendRunSchema = z
  .object({
    runId: entityIdSchema,
    name: z.string(),
    status: runStatusSchema,
    createdAt: timestampSchema,
    startedAt: timestampSchema.nullable(),
    finishedAt: timestampSchema.nullable(),
    scriptRevisionId: entityIdSchema,
    revisionNumber: z.number().int().nullable(),
    targetUsers: z.number().int(),
    maxUsers: z.number().int(),
    envId: z.string().nullable(),
    baseline: z.boolean().describe("it is the test's baseline in its env"),
  })
  .extend(runResultsSchema.shape);
export const trendSchema = z.object({
  loadTestId: entityIdSchema,
  runs: z.array(trendRunSchema).describe("oldest first, so it plots left to right"),
});
export type Trend = z.infer<typeof trendSchema>;

export const PERCENTS = { p50: 0.5, p90: 0.9, p95: 0.95, p99: 0.99 } as const;

const rateOf = (count: number, seconds: number): number => (seconds > 0 ? count / seconds : 0);

/**
 * The figures of one interval (a snapshot, a chart point, adjacent intervals merged): its counts per
 * second of its length, and its average response time (null when it had no request: no point, not
 * 0 ms). Every per-interval figure the API, the live feed and the charts give comes from here.
 */
export function intervalFigures(
  counts: { requests: number; failures: number; sumResponseMs: number },
  intervalMs: number,
): { requestsPerSec: number; failuresPerSec: number; avgResponseMs: number | null } {
  return {
    requestsPerSec: rateOf(counts.requests, intervalMs / 1000),
    failuresPerSec: rateOf(counts.failures, intervalMs / 1000),
    avgResponseMs: counts.requests > 0 ? counts.sumResponseMs / counts.requests : null,
  };
}

/** An interval's p50, p95 and p99: null when it timed no request (none, or none with a response time). */
export function intervalPercentiles(
  ascending: HistogramPairs,
  requests: number,
): { p50ResponseMs: number | null; p95ResponseMs: number | null; p99ResponseMs: number | null } {
  if (requests <= 0 || ascending.length === 0) return { p50ResponseMs: null, p95ResponseMs: null, p99ResponseMs: null };
  const { p50, p95, p99 } = PERCENTS;
  const p = percentilesOf(ascending, requests, { p50, p95, p99 });
  return { p50ResponseMs: p.p50, p95ResponseMs: p.p95, p99ResponseMs: p.p99 };
}

/** One row of figures for an endpoint (or all of them) over `seconds` of measured time. */
export function requestStatsRow(totals: EndpointTotals, seconds: number): RequestStatsRow {
  const p = totals.histogram.percentiles(totals.requests, PERCENTS);
  return {
    method: totals.method,
    name: totals.name,
    numRequests: totals.requests,
    numFailures: totals.failures,
    ...intervalFigures(totals, seconds * 1000),
    avgResponseMs: totals.requests > 0 ? totals.sumResponseMs / totals.requests : 0,
    minResponseMs: totals.requests > 0 ? totals.minResponseMs : 0,
    maxResponseMs: totals.maxResponseMs,
    p50ResponseMs: p.p50,
    p90ResponseMs: p.p90,
    p95ResponseMs: p.p95,
    p99ResponseMs: p.p99,
  };
}
