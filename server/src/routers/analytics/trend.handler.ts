import { runResultsOf, type trendInputSchema, requestStatsRow, type Trend } from "@loadmgr/shared";
import type { z } from "zod";
import { runStats } from "../../analytics/runStats.js";
import { loadTestInScope } from "../../domain/access.js";
import { revisionNumber } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function trendHandler(ctx: AuthedContext, input: z.infer<typeof trendInputSchema>): Promise<Trend> {
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
}
