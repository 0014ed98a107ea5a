import type { Collection, Db } from "mongodb";
import type { Schedule } from "@loadmgr/shared";

/** Documents keep the entity's `id` as `_id` too. */
export type ScheduleDoc = Schedule & { _id: string };

export const schedulesCollection = (db: Db): Collection<ScheduleDoc> => db.collection("schedules");
