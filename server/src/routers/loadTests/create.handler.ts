import type { z } from "zod";
import { newId } from "../../ids.js";
import type { createLoadTestInputSchema, LoadTest, ScriptRevision } from "@loadmgr/shared";
import { actorOf, checkWritableScope } from "../../domain/access.js";
import { checkAgentPool, checkCluster, checkTarget } from "../../domain/rules.js";
import { checkScriptSyntax } from "../../domain/scriptCheck.js";
import { revisionFiles } from "../../domain/revisionFiles.js";
import { checkStagesDuration } from "../../domain/runLoad.js";
import { checkSecretsExist } from "../../secrets/secretValues.js";
import type { AuthedContext } from "../../trpc.js";

export async function createHandler(ctx: AuthedContext, input: z.infer<typeof createLoadTestInputSchema>) {
  const { scriptContent, scriptDescription, createdBy, files, ...fields } = input;
  const actor = actorOf(ctx, createdBy, "createdBy");
  const now = ctx.now();
  const prepared = revisionFiles(files);
  const revision: ScriptRevision = {
    id: newId(now),
    loadTestId: newId(now),
    revisionNumber: 1,
    scriptContent,
    files: prepared.infos,
    description: scriptDescription,
    createdAt: now,
    createdBy: actor,
  };
  const test: LoadTest = {
    ...fields,
    id: revision.loadTestId,
    envId: fields.envId ?? null,
    locustClusterId: fields.locustClusterId ?? null,
    agentPool: fields.agentPool ?? null,
    defaultWorkers: fields.defaultWorkers ?? null,
    scenarioId: fields.scenarioId ?? null,
    latestRevisionId: revision.id,
    latestRevisionNumber: 1,
    recentRuns: [],
    runCount: 0,
    createdAt: now,
    createdBy: actor,
    updatedAt: now,
    updatedBy: actor,
  };
  checkWritableScope(ctx.principal, test);
  checkCluster(test);
  await checkAgentPool(ctx.store, test);
  checkTarget(ctx.config, test);
  if (test.defaultStages !== null) checkStagesDuration(test.defaultStages, test.maxDurationSec, "defaultStages");
  await checkScriptSyntax(ctx, scriptContent);
  await checkSecretsExist(ctx, test);
  await ctx.store.tests.create(test, revision, prepared.contents);
  ctx.logger.info({ loadTestId: test.id, actor }, "load test created");
  return test;
}
