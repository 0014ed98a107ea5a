import type { z } from "zod";
import type { requestsInputSchema, RequestStats } from "@loadmgr/shared";
import { requestRows, runStats } from "../../analytics/runStats.js";
import { runInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import { regionRows } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function requestsHandler(
  ctx: AuthedContext,
  input: z.infer<typeof requestsInputSchema>,
): Promise<RequestStats> {
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
}
