import type { z } from "zod";
import type { stopRunInputSchema } from "@loadmgr/shared";
import { actorOf, runInScope } from "../../domain/access.js";
import { AppError, notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function setBaselineHandler(ctx: AuthedContext, input: z.infer<typeof stopRunInputSchema>) {
  const run = await runInScope(ctx, input.id);
  const ended = run.status === "Finished" || run.status === "Stopped";
  if (!ended || (run.results?.totalRequests ?? 0) === 0 || run.outcome === "no-success") {
    throw new AppError(
      "RUN_NOT_FINISHED",
      `run ${run.id} is ${run.status}${ended ? (run.outcome === "no-success" ? " without success" : " without requests") : ""}: only a Finished or Stopped run whose requests succeeded can be a baseline`,
      "id",
    );
  }
  const actor = actorOf(ctx, input.updatedBy, "updatedBy");
  const marked = await ctx.store.runs.setBaseline(run.id, true, { updatedAt: ctx.now(), updatedBy: actor });
  if (marked === undefined) throw notFound("RUN", run.id);
  ctx.logger.info({ runId: run.id, loadTestId: run.loadTestId, envId: run.envId, actor }, "baseline set");
  return marked;
}
