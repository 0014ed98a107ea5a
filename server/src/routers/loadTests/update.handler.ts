import type { z } from "zod";
import type { updateLoadTestInputSchema, LoadTest } from "@loadmgr/shared";
import { actorOf, loadTestInScope } from "../../domain/access.js";
import { checkAgentPool, checkCluster, checkDurations, checkTarget } from "../../domain/rules.js";
import { checkStagesDuration } from "../../domain/runLoad.js";
import { checkSecretsExist } from "../../secrets/secretValues.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function updateHandler(ctx: AuthedContext, input: z.infer<typeof updateLoadTestInputSchema>) {
  const { id, updatedBy, ...changes } = input;
  const test = await loadTestInScope(ctx, id);
  const merged: LoadTest = { ...test, ...changes };
  checkDurations(merged, changes.defaultDurationSec !== undefined ? "defaultDurationSec" : "maxDurationSec");
  checkCluster(merged);
  await checkAgentPool(ctx.store, merged);
  checkTarget(ctx.config, merged);
  if (merged.defaultStages !== null) checkStagesDuration(merged.defaultStages, merged.maxDurationSec, "defaultStages");
  if (changes.secrets !== undefined || changes.envId !== undefined) await checkSecretsExist(ctx, merged);
  const updated = await ctx.store.tests.update(id, {
    ...changes,
    updatedAt: ctx.now(),
    updatedBy: actorOf(ctx, updatedBy, "updatedBy"),
  });
  if (updated === undefined) throw notFound("LOAD_TEST", id);
  return updated;
}
