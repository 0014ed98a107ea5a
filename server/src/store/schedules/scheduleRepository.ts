import type { Schedule, ScheduleTick } from "@loadmgr/shared";

export type ScheduleChanges = Partial<
  Pick<Schedule, "cron" | "timezone" | "enabled" | "overrides" | "thresholds" | "nextRunAt">
> &
  Pick<Schedule, "updatedAt" | "updatedBy">;

/** Schedules of tests, with their newest ticks. */
export interface ScheduleRepository {
  create(schedule: Schedule): Promise<void>;
  get(id: string): Promise<Schedule | undefined>;
  /** The test's schedules (every schedule without one), oldest first; at most 1,000. */
  list(loadTestId?: string): Promise<Schedule[]>;
  update(id: string, changes: ScheduleChanges): Promise<Schedule | undefined>;
  delete(id: string): Promise<boolean>;
  /** Puts a tick at the front of the schedule's ticks (keeping MAX_SCHEDULE_TICKS) and sets its next run; also under concurrent callers. */
  recordTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined>;
}
