import { eq } from "drizzle-orm";
import { MAX_SCHEDULE_TICKS, type Schedule, type ScheduleTick } from "@loadmgr/shared";
import { type SqliteDb } from "../sqlite/sqliteDb.js";
import { schedules } from "./sqliteTables.js";
import { type ScheduleChanges, type ScheduleRepository } from "./scheduleRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqliteSchedules implements ScheduleRepository {
  constructor(private readonly db: SqliteDb) {}

  async create(schedule: Schedule): Promise<void> {
    this.db.insert(schedules).values(schedule).run();
  }

  async get(id: string): Promise<Schedule | undefined> {
    return this.db.select().from(schedules).where(eq(schedules.id, id)).get();
  }

  async list(loadTestId?: string): Promise<Schedule[]> {
    return this.db
      .select()
      .from(schedules)
      .where(loadTestId !== undefined ? eq(schedules.loadTestId, loadTestId) : undefined)
      .orderBy(schedules.createdAt, schedules.id)
      .limit(1000)
      .all();
  }

  async update(id: string, changes: ScheduleChanges): Promise<Schedule | undefined> {
    return this.db.update(schedules).set(changes).where(eq(schedules.id, id)).returning().get();
  }

  async delete(id: string): Promise<boolean> {
    return this.db.delete(schedules).where(eq(schedules.id, id)).run().changes > 0;
  }

  async recordTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined> {
    return this.db.transaction(
      (tx) => {
        const current = tx.select({ ticks: schedules.ticks }).from(schedules).where(eq(schedules.id, id)).get();
        if (current === undefined) return undefined;
        const ticks = [tick, ...current.ticks].slice(0, MAX_SCHEDULE_TICKS);
        return tx.update(schedules).set({ ticks, nextRunAt }).where(eq(schedules.id, id)).returning().get();
      },
      { behavior: "immediate" },
    );
  }
}
