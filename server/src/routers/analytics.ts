import {
  aggregateSchema,
  errorRatePercent,
  runResultsOf,
  graphInputSchema,
  graphSchema,
  requestStatsRow,
  requestStatsSchema,
  requestsInputSchema,
  runIdInputSchema,
  runSummarySchema,
  scatterInputSchema,
  scatterSchema,
  timeseriesInputSchema,
  timeseriesSchema,
  trendInputSchema,
  trendSchema,
  windowInputSchema,
  WindowStats,
  type Aggregate,
  type Graph,
  type LoadTestRun,
  type RequestStats,
  type RunSummary,
  type Scatter,
  type Timeseries,
  type Trend,
} from "@loadmgr/shared";
import { requestRows, runStats } from "../analytics/runStats.js";
import type { Context } from "../context.js";
import { loadTestInScope, runInScope } from "../domain/access.js";
import { aggregateOf } from "../analytics/windowQueries.js";
import { AppError } from "../errors.js";
import { authedProcedure, router } from "../trpc.js";

const TAGS = ["analytics"];

/** Runs a heavy read in one of the token's slots (429 when it has none left), or in the export's own. */
function heavyRead<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  return ctx.heavySlotHeld === true ? work() : ctx.clientLimits.heavyQuery(ctx.principal?.name ?? "", work);
}

async function revisionNumber(ctx: Context, run: LoadTestRun): Promise<number | null> {
  return (await ctx.store.tests.getRevision(run.loadTestId, run.scriptRevisionId))?.revisionNumber ?? null;
}

/** Only the endpoints (and their errors) named `name`. */
function onlyNamed(stats: WindowStats, name: string): WindowStats {
  const record = stats.toRecord();
  return WindowStats.fromRecord({
    ...record,
    endpoints: record.endpoints.filter((e) => e.name === name),
    errors: record.errors.filter((e) => e.name === name),
  });
}

/** Each region's totals of a run split over regions (in the order the run named them). */
function regionRows(run: LoadTestRun, whole: WindowStats): RequestStats["regions"] {
  return run.regions.map(({ name, share }) => {
    const stats = whole.regions.get(name) ?? new WindowStats();
    const workers = run.placement
      .filter((e) => e.role === "worker" && e.region === name)
      .reduce((sum, e) => sum + e.processes, 0);
    // A region's rates divide by the whole run's time, so the regions' requests/s add up to the run's.
    const total = requestStatsRow(stats.total(), whole.rateSeconds());
    return { region: name, share, workers, users: stats.users, maxUsers: stats.maxUsers, total };
  });
}

export const analyticsRouter = router({
  graph: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/graph",
        tags: TAGS,
        summary:
          "The main chart: users, requests/s, failures/s, average and percentiles over time (optionally one endpoint name's)",
      },
    })
    .input(graphInputSchema)
    .output(graphSchema)
    .query(async ({ ctx, input }): Promise<Graph> => {
      const run = await runInScope(ctx, input.id);
      const { from, to, name, maxPoints } = input;
      // In the read worker, whole run or window: merging thousands of histograms is no work for this thread.
      // A whole run reads a bounded number of pre-merged blocks; a window or one name's chart (whole
      // snapshots) counts as a heavy read.
      const read = () =>
        ctx.windowReader.run("graph", { runId: run.id, from, to, name, maxPoints, lastSeq: run.lastMetrics?.seq ?? 0 });
      const light = from === undefined && to === undefined && name === undefined;
      const graph = await (light ? read() : heavyRead(ctx, read));
      return { runId: run.id, ...graph };
    }),

  summary: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/summary",
        tags: TAGS,
        summary: "The run's cards: total requests, requests/s, error rate, response times, and its settings",
      },
    })
    .input(runIdInputSchema)
    .output(runSummarySchema)
    .query(async ({ ctx, input }): Promise<RunSummary> => {
      const run = await runInScope(ctx, input.id);
      const stats = await runStats(ctx.metricsStore, run.id);
      const seconds = stats.rateSeconds();
      const total = requestStatsRow(stats.total(), seconds);
      return {
        runId: run.id,
        loadTestId: run.loadTestId,
        name: run.name,
        status: run.status,
        failureReason: run.failureReason,
        scriptRevisionId: run.scriptRevisionId,
        revisionNumber: await revisionNumber(ctx, run),
        targetUsers: run.targetUsers,
        spawnRate: run.spawnRate,
        durationSeconds: run.durationSeconds,
        startedAt: run.startedAt,
        finishedAt: run.finishedAt,
        elapsedSeconds: stats.from !== null && stats.to !== null ? (stats.to - stats.from) / 1000 : 0,
        users: stats.users,
        maxUsers: stats.maxUsers,
        totalRequests: total.numRequests,
        totalFailures: total.numFailures,
        requestsPerSec: total.requestsPerSec,
        currentRequestsPerSec: run.lastMetrics?.requestsPerSec ?? 0,
        errorRatePercent: errorRatePercent(total.numRequests, total.numFailures),
        avgResponseMs: total.avgResponseMs,
        minResponseMs: total.minResponseMs,
        maxResponseMs: total.maxResponseMs,
        p50ResponseMs: total.p50ResponseMs,
        p95ResponseMs: total.p95ResponseMs,
        p99ResponseMs: total.p99ResponseMs,
        warnings: stats.warnings(),
      };
    }),

  requests: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/requests",
        tags: TAGS,
        summary: "Per endpoint (method, name): counts, requests/s, response times and failure messages",
      },
    })
    .input(requestsInputSchema)
    .output(requestStatsSchema)
    .query(async ({ ctx, input }): Promise<RequestStats> => {
      const run = await runInScope(ctx, input.id);
      const whole = await runStats(ctx.metricsStore, run.id);
      const stats = input.region === undefined ? whole : whole.regions.get(input.region);
      if (stats === undefined) {
        const known = run.regions.map((r) => r.name);
        throw new AppError(
          "INVALID_INPUT",
          known.length === 0
            ? `region: run ${run.id} is not split over regions`
            : `region: run ${run.id} has no figures of region ${input.region ?? ""} (its regions: ${known.join(", ")})`,
          "region",
        );
      }
      const { total, endpoints } = requestRows(stats);
      const errors = [...stats.errors.values()].sort((a, b) => b.occurrences - a.occurrences);
      return {
        runId: run.id,
        endpoints: endpoints.map((row) => ({
          ...row,
          failureMessages: errors
            .filter((e) => e.method === row.method && e.name === row.name)
            .map(({ error, occurrences }) => ({ error, occurrences })),
        })),
        total,
        region: input.region ?? null,
        regions: regionRows(run, whole),
      };
    }),

  timeseries: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/timeseries",
        tags: TAGS,
        summary: "Every interval's figures, unmerged (optionally one endpoint name's)",
      },
    })
    .input(timeseriesInputSchema)
    .output(timeseriesSchema)
    .query(async ({ ctx, input }): Promise<Timeseries> => {
      const run = await runInScope(ctx, input.id);
      const { from, to, afterSeq, name, limit } = input;
      // A page at most: however long the window, one answer stays small (the client asks for the next).
      const page = await heavyRead(ctx, () =>
        ctx.windowReader.run("timeseries", { runId: run.id, from, to, afterSeq, name, limit }),
      );
      return { runId: run.id, name: name ?? null, ...page };
    }),

  scatter: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/scatter",
        tags: TAGS,
        summary: "Response-time distribution: the window's histogram, and per time column its buckets' counts",
      },
    })
    .input(scatterInputSchema)
    .output(scatterSchema)
    .query(async ({ ctx, input }): Promise<Scatter> => {
      const run = await runInScope(ctx, input.id);
      const { from, to, name, maxColumns } = input;
      const scatter = await heavyRead(ctx, () =>
        ctx.windowReader.run("scatter", { runId: run.id, from, to, name, maxColumns }),
      );
      return { runId: run.id, name: name ?? null, ...scatter };
    }),

  aggregate: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/aggregate",
        tags: TAGS,
        summary: "Whole-run or windowed totals per endpoint and overall, with percentiles from merged histograms",
      },
    })
    .input(windowInputSchema)
    .output(aggregateSchema)
    .query(async ({ ctx, input }): Promise<Aggregate> => {
      const run = await runInScope(ctx, input.id);
      const { from, to, name } = input;
      if (from === undefined && to === undefined) {
        const stats = await runStats(ctx.metricsStore, run.id);
        return aggregateOf(run.id, name, name === undefined ? stats : onlyNamed(stats, name));
      }
      return heavyRead(ctx, () => ctx.windowReader.run("aggregate", { runId: run.id, from, to, name }));
    }),

  trend: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/trend",
        tags: TAGS,
        summary: "Per run of the test (oldest first): revision, users, requests/s, error rate, percentiles",
      },
    })
    .input(trendInputSchema)
    .output(trendSchema)
    .query(async ({ ctx, input }): Promise<Trend> => {
      const test = await loadTestInScope(ctx, input.id);
      const { items } = await ctx.store.runs.list({ loadTestId: test.id }, { limit: input.limit });
      const numbers = new Map<string, number | null>();
      const runs = [];
      for (const run of items.reverse()) {
        if (!numbers.has(run.scriptRevisionId)) numbers.set(run.scriptRevisionId, await revisionNumber(ctx, run));
        const stats = await runStats(ctx.metricsStore, run.id);
        const total = requestStatsRow(stats.total(), stats.rateSeconds());
        runs.push({
          runId: run.id,
          name: run.name,
          status: run.status,
          createdAt: run.createdAt,
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          scriptRevisionId: run.scriptRevisionId,
          revisionNumber: numbers.get(run.scriptRevisionId) ?? null,
          targetUsers: run.targetUsers,
          maxUsers: stats.maxUsers,
          envId: run.envId,
          baseline: run.baseline,
          ...runResultsOf(total),
        });
      }
      return { loadTestId: test.id, runs };
    }),
});
