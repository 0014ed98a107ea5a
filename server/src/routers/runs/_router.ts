import {
  byIdInputSchema,
  runFileSchema,
  createRunInputSchema,
  listRunsInputSchema,
  listTestRunsInputSchema,
  loadTestRunSchema,
  onMetricsInputSchema,
  onRequestLogInputSchema,
  onStatusInputSchema,
  pageSchema,
  setRunLoadInputSchema,
  stopRunInputSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { runInScope } from "../../domain/access.js";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { createHandler } from "./create.handler.js";
import { filesHandler } from "./files.handler.js";
import { listForTestHandler } from "./listForTest.handler.js";
import { listHandler } from "./list.handler.js";
import { stopHandler } from "./stop.handler.js";
import { setLoadHandler } from "./setLoad.handler.js";
import { setBaselineHandler } from "./setBaseline.handler.js";
import { clearBaselineHandler } from "./clearBaseline.handler.js";
import { limited } from "./runs.helpers.js";
import { onMetricsHandler } from "./onMetrics.handler.js";
import { onRequestLogHandler } from "./onRequestLog.handler.js";
import { onStatusHandler } from "./onStatus.handler.js";

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
    .mutation(({ ctx, input }) => createHandler(ctx, input)),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/runs/{id}", tags: TAGS, summary: "Get a run" } })
    .input(byIdInputSchema)
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
    .input(byIdInputSchema)
    .output(z.object({ items: z.array(runFileSchema) }))
    .query(({ ctx, input }) => filesHandler(ctx, input)),

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
    .query(({ ctx, input }) => listForTestHandler(ctx, input)),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/runs", tags: TAGS, summary: "List runs across tests, newest first" },
    })
    .input(listRunsInputSchema)
    .output(pageSchema(loadTestRunSchema))
    .query(({ ctx, input }) => listHandler(ctx, input)),

  stop: editorProcedure
    .meta({ openapi: { method: "POST", path: "/v1/runs/{id}/stop", tags: TAGS, summary: "Stop a run" } })
    .input(stopRunInputSchema)
    .output(loadTestRunSchema)
    .mutation(({ ctx, input }) => stopHandler(ctx, input)),
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
    .mutation(({ ctx, input }) => setLoadHandler(ctx, input)),
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
    .mutation(({ ctx, input }) => setBaselineHandler(ctx, input)),

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
    .mutation(({ ctx, input }) => clearBaselineHandler(ctx, input)),
  liveTicket: authedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/live-tickets",
        tags: ["runs"],
        summary:
          "A single-use ticket, good for 30 s, that opens one live subscription over SSE (connectionParams {ticket}) in place of the token",
      },
    })
    .input(z.object({}).strict())
    .output(z.object({ ticket: z.string(), expiresAt: z.number().int() }))
    .mutation(({ ctx }) => ctx.liveTickets.issue(ctx.principal)),

  onMetrics: authedProcedure.input(onMetricsInputSchema).subscription(limited(onMetricsHandler)),
  onStatus: authedProcedure.input(onStatusInputSchema).subscription(limited(onStatusHandler)),
  onRequestLog: authedProcedure.input(onRequestLogInputSchema).subscription(limited(onRequestLogHandler)),
});
