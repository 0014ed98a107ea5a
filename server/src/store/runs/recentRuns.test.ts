import assert from "node:assert/strict";
import { it } from "node:test";
import type { RecentRun } from "@loadmgr/shared";
import { mergeRecentRun } from "./recentRuns.js";

const entry = (id: string, createdAt: number, status: RecentRun["status"] = "Pending"): RecentRun => ({
  id,
  number: 1,
  name: id,
  status,
  scriptRevisionId: "rev",
  targetUsers: 1,
  spawnRate: 1,
  durationSec: 1,
  durationSeconds: 1,
  startedAt: null,
  finishedAt: null,
  createdAt,
  createdBy: "t",
  results: null,
  outcome: null,
  passed: null,
});

it("adds new runs at the front and keeps ten", () => {
  let list: RecentRun[] = [];
  for (let i = 0; i < 12; i++) list = mergeRecentRun(list, entry(`r${i}`, i));
  assert.deepEqual(
    list.map((r) => r.id),
    ["r11", "r10", "r9", "r8", "r7", "r6", "r5", "r4", "r3", "r2"],
  );
});

it("replaces a listed run in place and never re-adds one that fell off", () => {
  let list: RecentRun[] = [];
  for (let i = 0; i < 11; i++) list = mergeRecentRun(list, entry(`r${i}`, i));
  list = mergeRecentRun(list, entry("r5", 5, "Finished"));
  assert.equal(list.length, 10);
  assert.equal(list.filter((r) => r.id === "r5").length, 1);
  assert.equal(list.find((r) => r.id === "r5")?.status, "Finished");
  assert.equal(list[5]?.id, "r5");
  list = mergeRecentRun(list, entry("r0", 0, "Failed"));
  assert.ok(!list.some((r) => r.id === "r0"));
});
