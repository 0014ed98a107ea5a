import { z } from "zod";
import { actorSchema, entityIdSchema, scopeIdSchema, timestampSchema } from "./fields.js";
import { MAX_THRESHOLDS } from "./judge.js";
import { createRunInputSchema } from "./run.js";
import { storedThresholdSchema, thresholdItemSchema } from "./thresholds.js";

/** What a scheduled run is started with: a run's overrides (users, stages, target, env, parameters…). */
export const scheduleOverridesSchema = createRunInputSchema
  .omit({ id: true, thresholds: true, metadata: true, createdBy: true, trigger: true })
  .describe("what each run it starts overrides, as on POST /v1/load-tests/{id}/runs; {}: the test's defaults");
export type ScheduleOverrides = z.infer<typeof scheduleOverridesSchema>;

/** The newest ticks a schedule remembers. */
export const MAX_SCHEDULE_TICKS = 20;

export const scheduleTickSchema = z.object({
  at: timestampSchema.describe("when the tick was due"),
  outcome: z.enum(["started", "skipped"]),
  runId: entityIdSchema.nullable().describe("the run it started"),
  reason: z.string().nullable().describe("why it was skipped"),
});
export type ScheduleTick = z.infer<typeof scheduleTickSchema>;

export const scheduleSchema = z.object({
  id: entityIdSchema,
  loadTestId: entityIdSchema,
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  cron: z.string().describe('five fields (minute hour day month weekday), e.g. "0 2 * * 1-5"'),
  timezone: z.string().describe('an IANA time zone the cron is read in, e.g. "Europe/Berlin"'),
  enabled: z.boolean(),
  overrides: scheduleOverridesSchema,
  thresholds: z.array(storedThresholdSchema).nullable().describe("the runs' thresholds; null: the test's"),
  nextRunAt: timestampSchema.nullable().describe("the next tick; null while disabled"),
  ticks: z.array(scheduleTickSchema).describe(`the newest ${MAX_SCHEDULE_TICKS} ticks, newest first`),
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
});
export type Schedule = z.infer<typeof scheduleSchema>;

const cronSchema = z
  .string()
  .trim()
  .min(1)
  .max(120)
  .describe('five fields: minute hour day-of-month month day-of-week ("0 2 * * *": every night at 2)');
const timezoneSchema = z
  .string()
  .min(1)
  .max(64)
  .refine((tz) => {
    try {
      new Intl.DateTimeFormat("en-US", { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }, "not an IANA time zone (e.g. UTC, Europe/Berlin, America/New_York)");

export const createScheduleInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  cron: cronSchema,
  timezone: timezoneSchema.default("UTC"),
  enabled: z.boolean().default(true),
  overrides: scheduleOverridesSchema.default({}),
  thresholds: z.array(thresholdItemSchema).max(MAX_THRESHOLDS).nullable().default(null),
  createdBy: actorSchema.optional(),
});
export type CreateScheduleInput = z.infer<typeof createScheduleInputSchema>;

export const updateScheduleInputSchema = z.strictObject({
  id: entityIdSchema.describe("schedule id"),
  cron: cronSchema.optional(),
  timezone: timezoneSchema.optional(),
  enabled: z.boolean().optional(),
  overrides: scheduleOverridesSchema.optional(),
  thresholds: z.array(thresholdItemSchema).max(MAX_THRESHOLDS).nullable().optional(),
  updatedBy: actorSchema.optional(),
});
export type UpdateScheduleInput = z.infer<typeof updateScheduleInputSchema>;
