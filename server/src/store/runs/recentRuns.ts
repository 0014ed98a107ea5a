import { defaultRunName, MAX_RECENT_RUNS, type LoadTestRun, type RecentRun } from "@loadmgr/shared";

/** The run as stored under its number: named after it when it came without a name. */
export const numberedRun = (run: LoadTestRun, number: number): LoadTestRun => ({
  ...run,
  number,
  name: run.name === "" ? defaultRunName(number, run.createdAt) : run.name,
});

export function toRecentRun(run: LoadTestRun): RecentRun {
  const { id, number, name, status, scriptRevisionId, targetUsers, spawnRate, durationSec, durationSeconds } = run;
  const { startedAt, finishedAt, createdAt, createdBy, results, verdict } = run;
  return {
    id,
    number,
    name,
    status,
    scriptRevisionId,
    targetUsers,
    spawnRate,
    durationSec,
    durationSeconds,
    startedAt,
    finishedAt,
    createdAt,
    createdBy,
    results,
    outcome: run.outcome,
    passed: verdict?.passed ?? null,
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
