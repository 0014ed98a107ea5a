import type { z } from "zod";
import { type stopRunInputSchema, isTerminal } from "@loadmgr/shared";
import { actorOf, runInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function stopHandler(ctx: AuthedContext, input: z.infer<typeof stopRunInputSchema>) {
  const run = await runInScope(ctx, input.id);
  if (run.status === "Stopping") return run;
  const stopped = await ctx.runs.requestStop(run, actorOf(ctx, input.updatedBy, "updatedBy"));
  if (stopped !== undefined) return stopped;
  const current = (await ctx.store.runs.get(run.id)) ?? run;
  throw new AppError(
    "INVALID_TRANSITION",
    isTerminal(current.status)
      ? `run ${run.id} is already ${current.status}; it cannot be stopped`
      : `run ${run.id} changed to ${current.status} meanwhile; try again`,
    "id",
  );
}
