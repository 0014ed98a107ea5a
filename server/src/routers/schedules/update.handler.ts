import type { z } from "zod";
import type { updateScheduleInputSchema } from "@loadmgr/shared";
import { actorOf, loadTestInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import { checkCron } from "../../schedules/cron.js";
import { scheduleInScope, checkOverrides } from "./schedules.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function updateHandler(ctx: AuthedContext, input: z.infer<typeof updateScheduleInputSchema>) {
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
}
