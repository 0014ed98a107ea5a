import { newId } from "../ids.js";
import { z } from "zod";
import {
  createLoadTestInputSchema,
  entityIdSchema,
  listLoadTestsInputSchema,
  loadTestSchema,
  pageSchema,
  updateLoadTestInputSchema,
  type LoadTest,
  type ScriptRevision,
} from "@loadmgr/shared";
import { scopeFilter } from "../auth.js";
import { actorOf, checkWritableScope, loadTestInScope } from "../domain/access.js";
import { checkAgentPool, checkCluster, checkDurations, checkTarget } from "../domain/rules.js";
import { checkScriptSyntax } from "../domain/scriptCheck.js";
import { revisionFiles } from "../domain/revisionFiles.js";
import { checkStagesDuration } from "../domain/runLoad.js";
import { checkSecretsExist } from "../secrets/secretValues.js";
import { AppError, notFound } from "../errors.js";
import { authedProcedure, editorProcedure, router } from "../trpc.js";

const TAGS = ["load-tests"];

export const loadTestsRouter = router({
  create: editorProcedure
    .meta({
      openapi: { method: "POST", path: "/v1/load-tests", tags: TAGS, summary: "Create a load test and its revision 1" },
    })
    .input(createLoadTestInputSchema)
    .output(loadTestSchema)
    .mutation(async ({ ctx, input }) => {
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
    }),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/load-tests/{id}", tags: TAGS, summary: "Get a load test" } })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(loadTestSchema)
    .query(({ ctx, input }) => loadTestInScope(ctx, input.id)),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/load-tests", tags: TAGS, summary: "List load tests, newest first" },
    })
    .input(listLoadTestsInputSchema)
    .output(pageSchema(loadTestSchema))
    .query(async ({ ctx, input }) => {
      const { limit, cursor, offset, ...filter } = input;
      const scoped = scopeFilter(ctx.principal, filter);
      if (scoped === undefined) return { items: [] };
      return ctx.store.tests.list(scoped, { limit, cursor, offset });
    }),

  update: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/load-tests/{id}",
        tags: TAGS,
        summary: "Change a load test's fields (those sent; the script has its own endpoint)",
      },
    })
    .input(updateLoadTestInputSchema)
    .output(loadTestSchema)
    .mutation(async ({ ctx, input }) => {
      const { id, updatedBy, ...changes } = input;
      const test = await loadTestInScope(ctx, id);
      const merged: LoadTest = { ...test, ...changes };
      checkDurations(merged, changes.defaultDurationSec !== undefined ? "defaultDurationSec" : "maxDurationSec");
      checkCluster(merged);
      await checkAgentPool(ctx.store, merged);
      checkTarget(ctx.config, merged);
      if (merged.defaultStages !== null)
        checkStagesDuration(merged.defaultStages, merged.maxDurationSec, "defaultStages");
      if (changes.secrets !== undefined || changes.envId !== undefined) await checkSecretsExist(ctx, merged);
      const updated = await ctx.store.tests.update(id, {
        ...changes,
        updatedAt: ctx.now(),
        updatedBy: actorOf(ctx, updatedBy, "updatedBy"),
      });
      if (updated === undefined) throw notFound("LOAD_TEST", id);
      return updated;
    }),

  delete: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/load-tests/{id}",
        tags: TAGS,
        summary: "Delete a load test with its revisions, runs and metrics",
      },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(z.object({ id: entityIdSchema, deleted: z.literal(true) }))
    .mutation(async ({ ctx, input }) => {
      await loadTestInScope(ctx, input.id);
      const active = await ctx.store.runs.countActive(input.id);
      if (active > 0) {
        throw new AppError(
          "LOAD_TEST_HAS_ACTIVE_RUNS",
          `load test ${input.id} has ${active} active run(s); stop them first`,
          "id",
        );
      }
      const schedules = await ctx.store.schedules.list(input.id);
      if (!(await ctx.store.tests.delete(input.id))) throw notFound("LOAD_TEST", input.id);
      for (const schedule of schedules) await ctx.schedules.unregister(schedule.id);
      // After the entities: a failure here leaves only metrics no run points to, never a run without them.
      await ctx.metricsStore.deleteLoadTestMetrics(input.id);
      ctx.logger.info({ loadTestId: input.id, actor: ctx.principal.name }, "load test deleted");
      return { id: input.id, deleted: true as const };
    }),
});
