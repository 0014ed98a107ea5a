import {
  aggregateSchema,
  errorRatePercent,
  graphInputSchema,
  graphSchema,
  requestStatsRow,
  requestStatsSchema,
  runIdInputSchema,
  runSummarySchema,
  scatterInputSchema,
  scatterSchema,
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
import { graphPoints, intervalsPerPoint, scatterOf, timeseriesPoints } from "../analytics/series.js";
import type { Context } from "../context.js";
import { loadTestInScope, runInScope } from "../domain/access.js";
import { checkWindowSize, snapshotPages, windowPoints } from "../analytics/windowReads.js";
import { BLOCK_SEQS } from "../store/pointGroups.js";
import { pointOf, type SnapshotPoint, type SnapshotWindow } from "../store/snapshotRecord.js";
import { authedProcedure, router } from "../trpc.js";

const TAGS = ["analytics"];

/**
 * Chart figures for the window, over all endpoints or only those named `name`: a heavy read, so
 * refused when the window is too big or the token has too many under way, and read in pages.
 */
async function pointsOf(ctx: Context, runId: string, window: SnapshotWindow, name?: string): Promise<SnapshotPoint[]> {
  return ctx.clientLimits.heavyQuery(ctx.principal?.name ?? "", async () => {
    await checkWindowSize(ctx.store, runId, window);
    if (name === undefined) return windowPoints(ctx.store, runId, window);
    const points: SnapshotPoint[] = [];
    for await (const page of snapshotPages(ctx.store, runId, window)) {
      for (const snapshot of page) points.push(pointOf(snapshot, name));
    }
    return points;
  });
}

async function revisionNumber(ctx: Context, run: LoadTestRun): Promise<number | null> {
  return (await ctx.store.getScriptRevision(run.loadTestId, run.scriptRevisionId))?.revisionNumber ?? null;
}

function aggregateOf(runId: string, name: string | undefined, stats: WindowStats): Aggregate {
  return {
    runId,
    name: name ?? null,
    from: stats.from,
    to: stats.to,
    snapshots: stats.snapshots,
    measuredSeconds: stats.activeMs / 1000,
    users: stats.users,
    maxUsers: stats.maxUsers,
    ...requestRows(stats),
    errors: [...stats.errors.values()].sort((a, b) => b.occurrences - a.occurrences),
  };
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

export const analyticsRouter = router({
  graph: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/graph",
        tags: TAGS,
        summary: "The main chart: users, requests/s, errors/s, average and p95 response time over time",
      },
    })
    .input(graphInputSchema)
    .output(graphSchema)
    .query(async ({ ctx, input }): Promise<Graph> => {
      const run = await runInScope(ctx, input.id);
      const { from, to, maxPoints } = input;
      // A whole run is merged by seq ranges, in multiples of BLOCK_SEQS once that many are needed
      // (the store answers those from pre-merged blocks); a window is merged after reading it.
      let groupSeqs = 1;
      if (from === undefined && to === undefined) {
        groupSeqs = intervalsPerPoint(run.lastMetrics?.seq ?? 0, maxPoints);
        if (groupSeqs >= BLOCK_SEQS) groupSeqs = Math.ceil(groupSeqs / BLOCK_SEQS) * BLOCK_SEQS;
      }
      const points = await ctx.store.listSnapshotPoints(run.id, { from, to }, groupSeqs);
      return {
        runId: run.id,
        intervalsPerPoint: groupSeqs * intervalsPerPoint(points.length, maxPoints),
        lastSeq: points.at(-1)?.seq ?? 0,
        points: graphPoints(points, maxPoints),
      };
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
      const stats = await runStats(ctx.store, run.id);
      const seconds = stats.activeMs / 1000;
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
    .input(runIdInputSchema)
    .output(requestStatsSchema)
    .query(async ({ ctx, input }): Promise<RequestStats> => {
      const run = await runInScope(ctx, input.id);
      const stats = await runStats(ctx.store, run.id);
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
    .input(windowInputSchema)
    .output(timeseriesSchema)
    .query(async ({ ctx, input }): Promise<Timeseries> => {
      const run = await runInScope(ctx, input.id);
      return {
        runId: run.id,
        name: input.name ?? null,
        points: timeseriesPoints(await pointsOf(ctx, run.id, input, input.name)),
      };
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
      const points = await pointsOf(ctx, run.id, input, input.name);
      return { runId: run.id, name: input.name ?? null, ...scatterOf(points, input.maxColumns) };
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
        const stats = await runStats(ctx.store, run.id);
        return aggregateOf(run.id, name, name === undefined ? stats : onlyNamed(stats, name));
      }
      return ctx.clientLimits.heavyQuery(ctx.principal.name, async () => {
        await checkWindowSize(ctx.store, run.id, { from, to });
        const stats = new WindowStats(name);
        for await (const page of snapshotPages(ctx.store, run.id, { from, to })) {
          for (const snapshot of page) stats.addSnapshot(snapshot);
        }
        return aggregateOf(run.id, name, stats);
      });
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
      const { items } = await ctx.store.listRuns({ loadTestId: test.id }, { limit: input.limit });
      const numbers = new Map<string, number | null>();
      const runs = [];
      for (const run of items.reverse()) {
        if (!numbers.has(run.scriptRevisionId)) numbers.set(run.scriptRevisionId, await revisionNumber(ctx, run));
        const stats = await runStats(ctx.store, run.id);
        const total = requestStatsRow(stats.total(), stats.activeMs / 1000);
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
          totalRequests: total.numRequests,
          requestsPerSec: total.requestsPerSec,
          errorRatePercent: errorRatePercent(total.numRequests, total.numFailures),
          avgResponseMs: total.avgResponseMs,
          p50ResponseMs: total.p50ResponseMs,
          p95ResponseMs: total.p95ResponseMs,
          p99ResponseMs: total.p99ResponseMs,
        });
      }
      return { loadTestId: test.id, runs };
    }),
});
