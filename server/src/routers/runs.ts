import { z } from "zod";
import {
  runFileSchema,
  createRunInputSchema,
  entityIdSchema,
  isTerminal,
  listRunsInputSchema,
  listTestRunsInputSchema,
  loadTestRunSchema,
  pageSchema,
  setRunLoadInputSchema,
  stopRunInputSchema,
} from "@loadmgr/shared";
import { scopeFilter } from "../auth.js";
import { actorOf, loadTestInScope, runInScope } from "../domain/access.js";
import { AppError, notFound } from "../errors.js";
import { authedProcedure, editorProcedure, router } from "../trpc.js";
import { liveProcedures } from "./live.js";
import { startNewRun } from "../runs/newRun.js";

const TAGS = ["runs"];

export const runsRouter = router({
  create: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/load-tests/{id}/runs",
        tags: TAGS,
        summary: "Start a run of the test's latest script revision (overrides fall back to the test's defaults)",
      },
    })
    .input(createRunInputSchema)
    .output(loadTestRunSchema)
    .mutation(async ({ ctx, input }) => {
      const test = await loadTestInScope(ctx, input.id);
      const { sandbox } = ctx;
      if (
        sandbox.mode === "on" &&
        !sandbox.available &&
        ctx.principal.role !== "admin" &&
        test.locustClusterId == null &&
        test.agentPool === null
      ) {
        throw new AppError(
          "SANDBOX_UNAVAILABLE",
          `runs cannot be sandboxed on this server (${sandbox.reason}); only the admin token may start them until it can, or until the operator sets runner.sandbox: off`,
        );
      }
      const actor = actorOf(ctx, input.createdBy, "createdBy");
      return startNewRun(ctx, test, input, actor, { type: input.trigger ?? "api", scheduleId: null });
    }),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/runs/{id}", tags: TAGS, summary: "Get a run" } })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(loadTestRunSchema)
    .query(({ ctx, input }) => runInScope(ctx, input.id)),

  files: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/files",
        tags: TAGS,
        summary:
          "The files of the run's Locust the server collected as its master ended (its CSVs, its log); each at /v1/runs/{id}/files/{name}",
      },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(z.object({ items: z.array(runFileSchema) }))
    .query(async ({ ctx, input }) => {
      const run = await runInScope(ctx, input.id);
      return { items: await ctx.metricsStore.listRunFiles(run.id) };
    }),

  listForTest: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/runs",
        tags: TAGS,
        summary: "List a test's runs, newest first",
      },
    })
    .input(listTestRunsInputSchema)
    .output(pageSchema(loadTestRunSchema))
    .query(async ({ ctx, input }) => {
      const { id, limit, cursor, offset, status } = input;
      await loadTestInScope(ctx, id);
      return ctx.store.runs.list({ loadTestId: id, status }, { limit, cursor, offset });
    }),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/runs", tags: TAGS, summary: "List runs across tests, newest first" },
    })
    .input(listRunsInputSchema)
    .output(pageSchema(loadTestRunSchema))
    .query(async ({ ctx, input }) => {
      const { limit, cursor, offset, ...filter } = input;
      const scoped = scopeFilter(ctx.principal, filter);
      if (scoped === undefined) return { items: [] };
      return ctx.store.runs.list(scoped, { limit, cursor, offset });
    }),

  stop: editorProcedure
    .meta({ openapi: { method: "POST", path: "/v1/runs/{id}/stop", tags: TAGS, summary: "Stop a run" } })
    .input(stopRunInputSchema)
    .output(loadTestRunSchema)
    .mutation(async ({ ctx, input }) => {
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
    }),
  setLoad: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/runs/{id}/load",
        tags: TAGS,
        summary:
          "Change a running run's users (and spawn rate): Locust's master takes it within an interval; stored as an event of the run",
      },
    })
    .input(setRunLoadInputSchema)
    .output(loadTestRunSchema)
    .mutation(async ({ ctx, input }) => {
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
    }),
  setBaseline: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/runs/{id}/baseline",
        tags: TAGS,
        summary:
          "Make an ended run its test's baseline in its env: later runs there are compared with it when they end",
      },
    })
    .input(stopRunInputSchema)
    .output(loadTestRunSchema)
    .mutation(async ({ ctx, input }) => {
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
    }),

  clearBaseline: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/runs/{id}/baseline",
        tags: TAGS,
        summary: "Stop a run being its test's baseline (its env then has none)",
      },
    })
    .input(stopRunInputSchema)
    .output(loadTestRunSchema)
    .mutation(async ({ ctx, input }) => {
      const run = await runInScope(ctx, input.id);
      if (!run.baseline) return run;
      const actor = actorOf(ctx, input.updatedBy, "updatedBy");
      const cleared = await ctx.store.runs.setBaseline(run.id, false, { updatedAt: ctx.now(), updatedBy: actor });
      if (cleared === undefined) throw notFound("RUN", run.id);
      ctx.logger.info({ runId: run.id, loadTestId: run.loadTestId, actor }, "baseline cleared");
      return cleared;
    }),
  ...liveProcedures,
});
