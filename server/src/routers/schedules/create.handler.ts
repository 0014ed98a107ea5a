import type { z } from "zod";
import type { createScheduleInputSchema, Schedule } from "@loadmgr/shared";
import { actorOf, loadTestInScope } from "../../domain/access.js";
import { newId } from "../../ids.js";
import { checkCron } from "../../schedules/cron.js";
import { checkOverrides } from "./schedules.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function createHandler(ctx: AuthedContext, input: z.infer<typeof createScheduleInputSchema>) {
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
}
