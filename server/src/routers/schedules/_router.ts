import { byIdInputSchema, createScheduleInputSchema, scheduleSchema, updateScheduleInputSchema } from "@loadmgr/shared";
import { z } from "zod";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { createHandler } from "./create.handler.js";
import { listHandler } from "./list.handler.js";
import { listInput } from "./list.schema.js";
import { updateHandler } from "./update.handler.js";
import { deleteHandler } from "./delete.handler.js";
import { scheduleInScope } from "./schedules.helpers.js";

const TAGS = ["schedules"];

export const schedulesRouter = router({
  create: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/load-tests/{id}/schedules",
        tags: TAGS,
        summary: "Run the test on a schedule: a cron in a time zone, with run overrides and thresholds",
      },
    })
    .input(createScheduleInputSchema)
    .output(scheduleSchema)
    .mutation(({ ctx, input }) => createHandler(ctx, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/schedules",
        tags: TAGS,
        summary: "A test's schedules, oldest first, each with its next run time and newest ticks",
      },
    })
    .input(listInput)
    .output(z.object({ items: z.array(scheduleSchema) }))
    .query(({ ctx, input }) => listHandler(ctx, input)),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/schedules/{id}", tags: TAGS, summary: "Get a schedule" } })
    .input(byIdInputSchema)
    .output(scheduleSchema)
    .query(({ ctx, input }) => scheduleInScope(ctx, input.id)),

  update: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/schedules/{id}",
        tags: TAGS,
        summary: "Change a schedule's cron, time zone, overrides or thresholds, or enable or disable it",
      },
    })
    .input(updateScheduleInputSchema)
    .output(scheduleSchema)
    .mutation(({ ctx, input }) => updateHandler(ctx, input)),

  delete: editorProcedure
    .meta({ openapi: { method: "DELETE", path: "/v1/schedules/{id}", tags: TAGS, summary: "Delete a schedule" } })
    .input(byIdInputSchema)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) => deleteHandler(ctx, input)),
});
