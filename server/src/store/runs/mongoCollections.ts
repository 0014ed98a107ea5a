import type { Collection, Db } from "mongodb";
import type { LoadTestRun } from "@loadmgr/shared";

/** Documents keep the entity's `id` as `_id` too. */
export type RunDoc = LoadTestRun & { _id: string };

export const runsCollection = (db: Db): Collection<RunDoc> => db.collection("load_test_runs");
