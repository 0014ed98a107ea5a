import type { Collection, Db } from "mongodb";
import { ensureIndexes } from "../../db/mongoShared.js";
import { MAX_SCHEDULE_TICKS, type Schedule, type ScheduleTick } from "@loadmgr/shared";
import { addWindowSec, HIDDEN, withoutId, type MongoLocks } from "../mongo/mongoDocs.js";
import { type ScheduleChanges, type ScheduleRepository } from "./scheduleRepository.js";
import { schedulesCollection, type ScheduleDoc } from "./mongoCollections.js";

export class MongoSchedules implements ScheduleRepository {
  private readonly schedules: Collection<ScheduleDoc>;

  constructor(
    db: Db,
    private readonly locks: MongoLocks,
  ) {
    this.schedules = schedulesCollection(db);
  }

  async init(): Promise<void> {
    await ensureIndexes(this.schedules, [{ key: { loadTestId: 1, createdAt: 1 }, name: "test_idx" }]);
    // Overrides stored before an autoStop's window was windowSec.
    await addWindowSec(this.schedules, "overrides.autoStop");
  }

  async create(schedule: Schedule): Promise<void> {
    await this.schedules.insertOne({ _id: schedule.id, ...schedule });
  }

  async get(id: string): Promise<Schedule | undefined> {
    return (await this.schedules.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async list(loadTestId?: string): Promise<Schedule[]> {
    return this.schedules
      .find(loadTestId !== undefined ? { loadTestId } : {}, HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async update(id: string, changes: ScheduleChanges): Promise<Schedule | undefined> {
    return this.locks.withLock(`schedule:${id}`, async () => {
      const updated = await this.schedules.findOneAndUpdate(
        { _id: id },
        { $set: changes },
        { returnDocument: "after" },
      );
      return withoutId(updated);
    });
  }

  async delete(id: string): Promise<boolean> {
    const { deletedCount } = await this.schedules.deleteOne({ _id: id });
    return deletedCount > 0;
  }

  async recordTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined> {
    // Read-modify-write under the schedule's lock (FerretDB has no atomic $push with $slice on every backend).
    return this.locks.withLock(`schedule:${id}`, async () => {
      const current = await this.schedules.findOne({ _id: id }, { projection: { ticks: 1 } });
      if (current === null) return undefined;
      const ticks = [tick, ...current.ticks].slice(0, MAX_SCHEDULE_TICKS);
      const updated = await this.schedules.findOneAndUpdate(
        { _id: id },
        { $set: { ticks, nextRunAt } },
        { returnDocument: "after" },
      );
      return withoutId(updated);
    });
  }
}
