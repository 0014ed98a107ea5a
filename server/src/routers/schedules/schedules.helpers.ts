import { type LoadTest, type Schedule, type ScheduleOverrides } from "@loadmgr/shared";
import { findInScope } from "../../domain/access.js";
import { runLoad } from "../../domain/runLoad.js";
import { AppError } from "../../errors.js";
import { type AuthedContext } from "../../trpc.js";

export const scheduleInScope = (ctx: AuthedContext, id: string): Promise<Schedule> =>
  findInScope(ctx, "SCHEDULE", id, (i) => ctx.store.schedules.get(i));

/** The overrides as a run would take them today: refused now, at `overrides.…`, rather than at every tick. */
export function checkOverrides(test: LoadTest, overrides: ScheduleOverrides): void {
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
