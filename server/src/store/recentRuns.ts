import { MAX_RECENT_RUNS, type LoadTestRun, type RecentRun } from "@loadmgr/shared";

export function toRecentRun(run: LoadTestRun): RecentRun {
  const { id, name, status, scriptRevisionId, targetUsers, spawnRate, durationSeconds } = run;
  const { startedAt, finishedAt, createdAt, createdBy } = run;
  return {
    id,
    name,
    status,
    scriptRevisionId,
    targetUsers,
    spawnRate,
    durationSeconds,
    startedAt,
    finishedAt,
    createdAt,
    createdBy,
  };
}

/**
 * The test's recent runs with `entry` put in: replaced in place when the run is already listed,
 * otherwise added; newest first by creation, at most ten.
 */
export function mergeRecentRun(list: readonly RecentRun[], entry: RecentRun): RecentRun[] {
  const others = list.filter((r) => r.id !== entry.id);
  return [...others, entry]
    .sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0))
    .slice(0, MAX_RECENT_RUNS);
}
