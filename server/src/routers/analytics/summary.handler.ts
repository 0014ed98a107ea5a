import type { z } from "zod";
import { type runIdInputSchema, errorRatePercent, requestStatsRow, type RunSummary } from "@loadmgr/shared";
import { runStats } from "../../analytics/runStats.js";
import { runInScope } from "../../domain/access.js";
import { revisionNumber } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function summaryHandler(ctx: AuthedContext, input: z.infer<typeof runIdInputSchema>): Promise<RunSummary> {
  const run = await runInScope(ctx, input.id);
  const stats = await runStats(ctx.metricsStore, run.id);
  const seconds = stats.rateSeconds();
  const total = requestStatsRow(stats.total(), seconds);
  const elapsed = stats.from !== null && stats.to !== null ? (stats.to - stats.from) / 1000 : 0;
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
    durationSec: run.durationSec,
    durationSeconds: run.durationSec,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    elapsedSec: elapsed,
    elapsedSeconds: elapsed,
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
}
