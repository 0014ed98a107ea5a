import type { z } from "zod";
import type { setRunLoadInputSchema } from "@loadmgr/shared";
import { actorOf, runInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function setLoadHandler(ctx: AuthedContext, input: z.infer<typeof setRunLoadInputSchema>) {
  const run = await runInScope(ctx, input.id);
  if (run.stages !== null) {
    throw new AppError(
      "RUN_FOLLOWS_STAGES",
      `run ${run.id} follows stages, which set its users; stop it and start one with other stages`,
      "targetUsers",
    );
  }
  const change = {
    at: ctx.now(),
    targetUsers: input.targetUsers,
    spawnRate: input.spawnRate ?? run.spawnRate,
    by: actorOf(ctx, input.updatedBy, "updatedBy"),
  };
  const changed = await ctx.runs.changeLoad(run, change);
  if (changed !== undefined) return changed;
  const current = (await ctx.store.runs.get(run.id)) ?? run;
  throw new AppError(
    "RUN_NOT_RUNNING",
    `run ${run.id} is ${current.status}: only a Running run's load can change`,
    "id",
  );
}
