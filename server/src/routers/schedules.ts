import { z } from "zod";
import {
  createScheduleInputSchema,
  entityIdSchema,
  scheduleSchema,
  updateScheduleInputSchema,
  type LoadTest,
  type Schedule,
  type ScheduleOverrides,
} from "@loadmgr/shared";
import { actorOf, findInScope, loadTestInScope } from "../domain/access.js";
import { runLoad } from "../domain/runLoad.js";
import { AppError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { checkCron } from "../schedules/cron.js";
import { authedProcedure, editorProcedure, router, type AuthedContext } from "../trpc.js";

const TAGS = ["schedules"];

const scheduleInScope = (ctx: AuthedContext, id: string): Promise<Schedule> =>
  findInScope(ctx, "SCHEDULE", id, (i) => ctx.store.schedules.get(i));

/** The overrides as a run would take them today: refused now, at `overrides.…`, rather than at every tick. */
function checkOverrides(test: LoadTest, overrides: ScheduleOverrides): void {
  try {
    runLoad(test, { ...overrides, id: test.id, metadata: {} });
  } catch (error) {
    if (error instanceof AppError) {
      throw new AppError(
        error.appCode,
        error.message,
        `overrides${error.field !== undefined ? `.${error.field}` : ""}`,
      );
    }
    throw error;
  }
}

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
    .mutation(async ({ ctx, input }) => {
      const test = await loadTestInScope(ctx, input.id);
      const now = ctx.now();
      checkCron(input.cron, input.timezone, ctx.config.schedules.minIntervalSec, now);
      checkOverrides(test, input.overrides);
      const actor = actorOf(ctx, input.createdBy, "createdBy");
      const schedule: Schedule = {
        id: newId(now),
        loadTestId: test.id,
        accountId: test.accountId,
        orgId: test.orgId,
        projectId: test.projectId,
        cron: input.cron,
        timezone: input.timezone,
        enabled: input.enabled,
        overrides: input.overrides,
        thresholds: input.thresholds,
        nextRunAt: null,
        ticks: [],
        createdAt: now,
        createdBy: actor,
        updatedAt: now,
        updatedBy: actor,
      };
      schedule.nextRunAt = ctx.schedules.nextRunAt(schedule, now);
      await ctx.store.schedules.create(schedule);
      await ctx.schedules.register(schedule);
      ctx.logger.info(
        { scheduleId: schedule.id, loadTestId: test.id, cron: input.cron, timezone: input.timezone, actor },
        "schedule created",
      );
      return schedule;
    }),

  list: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/schedules",
        tags: TAGS,
        summary: "A test's schedules, oldest first, each with its next run time and newest ticks",
      },
    })
    .input(z.strictObject({ id: entityIdSchema.describe("load test id") }))
    .output(z.object({ items: z.array(scheduleSchema) }))
    .query(async ({ ctx, input }) => {
      const test = await loadTestInScope(ctx, input.id);
      return { items: await ctx.store.schedules.list(test.id) };
    }),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/schedules/{id}", tags: TAGS, summary: "Get a schedule" } })
    .input(z.strictObject({ id: entityIdSchema }))
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
    .mutation(async ({ ctx, input }) => {
      const schedule = await scheduleInScope(ctx, input.id);
      const { id, updatedBy, ...changes } = input;
      const merged = { ...schedule, ...changes };
      const now = ctx.now();
      if (input.cron !== undefined || input.timezone !== undefined) {
        checkCron(merged.cron, merged.timezone, ctx.config.schedules.minIntervalSec, now);
      }
      if (input.overrides !== undefined) {
        const test = await loadTestInScope(ctx, schedule.loadTestId);
        checkOverrides(test, input.overrides);
      }
      const actor = actorOf(ctx, updatedBy, "updatedBy");
      const updated = await ctx.store.schedules.update(id, {
        ...changes,
        nextRunAt: ctx.schedules.nextRunAt(merged, now),
        updatedAt: now,
        updatedBy: actor,
      });
      if (updated === undefined) throw notFound("SCHEDULE", id);
      await ctx.schedules.register(updated);
      ctx.logger.info({ scheduleId: id, actor, changed: Object.keys(changes) }, "schedule changed");
      return updated;
    }),

  delete: editorProcedure
    .meta({ openapi: { method: "DELETE", path: "/v1/schedules/{id}", tags: TAGS, summary: "Delete a schedule" } })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(z.object({ deleted: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const schedule = await scheduleInScope(ctx, input.id);
      const deleted = await ctx.store.schedules.delete(schedule.id);
      await ctx.schedules.unregister(schedule.id);
      ctx.logger.info({ scheduleId: schedule.id, actor: ctx.principal.name }, "schedule deleted");
      return { deleted };
    }),
});
