import { type ByIdInput } from "@loadmgr/shared";
import { scheduleInScope } from "./schedules.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function deleteHandler(ctx: AuthedContext, input: ByIdInput) {
  const schedule = await scheduleInScope(ctx, input.id);
  const deleted = await ctx.store.schedules.delete(schedule.id);
  await ctx.schedules.unregister(schedule.id);
  ctx.logger.info({ scheduleId: schedule.id, actor: ctx.principal.name }, "schedule deleted");
  return { deleted };
}
