import type { z } from "zod";
import type { windowInputSchema, Aggregate } from "@loadmgr/shared";
import { runStats } from "../../analytics/runStats.js";
import { runInScope } from "../../domain/access.js";
import { aggregateOf } from "../../analytics/windowQueries.js";
import { heavyRead, onlyNamed } from "./analytics.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function aggregateHandler(
  ctx: AuthedContext,
  input: z.infer<typeof windowInputSchema>,
): Promise<Aggregate> {
  const run = await runInScope(ctx, input.id);
  const { from, to, name } = input;
  if (from === undefined && to === undefined) {
    const stats = await runStats(ctx.metricsStore, run.id);
    return aggregateOf(run.id, name, name === undefined ? stats : onlyNamed(stats, name));
  }
  return heavyRead(ctx, () => ctx.windowReader.run("aggregate", { runId: run.id, from, to, name }));
}
