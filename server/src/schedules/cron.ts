import { CronExpressionParser } from "cron-parser";
import { AppError } from "../errors.js";

/** The first tick of `cron` in `tz` after `after` (ms). */
export function nextTick(cron: string, tz: string, after: number): number {
  return CronExpressionParser.parse(cron, { tz, currentDate: new Date(after) })
    .next()
    .getTime();
}

/**
 * Refuses a cron that does not parse, has other than 5 fields (6 with seconds first), or ticks
 * more often than `minIntervalSec` (judged over its next ticks), at the field `cron`.
 */
export function checkCron(cron: string, tz: string, minIntervalSec: number, now: number): void {
  const fields = cron.trim().split(/\s+/).length;
  if (fields !== 5 && fields !== 6) {
    throw new AppError(
      "INVALID_CRON",
      `"${cron}" has ${fields} fields: write minute hour day-of-month month day-of-week, e.g. "0 2 * * *"`,
      "cron",
    );
  }
  let ticks: number[];
  try {
    const expression = CronExpressionParser.parse(cron, { tz, currentDate: new Date(now), strict: false });
    ticks = Array.from({ length: 6 }, () => expression.next().getTime());
  } catch (error) {
    throw new AppError("INVALID_CRON", `"${cron}" is not a cron expression: ${(error as Error).message}`, "cron");
  }
  const gaps = ticks.slice(1).map((t, i) => t - (ticks[i] ?? t));
  const least = Math.min(...gaps) / 1000;
  if (least < minIntervalSec) {
    throw new AppError(
      "INVALID_CRON",
      `"${cron}" ticks ${least} s apart; schedules here tick at least ${minIntervalSec} s apart (schedules.minIntervalSec)`,
      "cron",
    );
  }
}
