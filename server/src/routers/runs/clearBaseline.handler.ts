import type { z } from "zod";
import type { stopRunInputSchema } from "@loadmgr/shared";
import { actorOf, runInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function clearBaselineHandler(ctx: AuthedContext, input: z.infer<typeof stopRunInputSchema>) {
  const run = await runInScope(ctx, input.id);
  if (!run.baseline) return run;
  const actor = actorOf(ctx, input.updatedBy, "updatedBy");
  const cleared = await ctx.store.runs.setBaseline(run.id, false, { updatedAt: ctx.now(), updatedBy: actor });
  if (cleared === undefined) throw notFound("RUN", run.id);
  ctx.logger.info({ runId: run.id, loadTestId: run.loadTestId, actor }, "baseline cleared");
  return cleared;
}
