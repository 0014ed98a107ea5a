// No zod here: the dashboard imports this file as it is.
export const RUN_STATUSES = ["Pending", "Running", "Stopping", "Finished", "Stopped", "Failed"] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** The run lifecycle, the one place it is defined: status → statuses it may move to. */
const NEXT: Record<RunStatus, readonly RunStatus[]> = {
  Pending: ["Running", "Stopping", "Stopped", "Failed"],
  Running: ["Stopping", "Finished", "Stopped", "Failed"],
  Stopping: ["Stopped", "Finished", "Failed"],
  Finished: [],
  Stopped: [],
  Failed: [],
};

export function canTransition(from: RunStatus, to: RunStatus): boolean {
  return NEXT[from].includes(to);
}

/** The statuses from which `to` may be reached; stores use it as the guard of a conditional update. */
export function predecessorsOf(to: RunStatus): RunStatus[] {
  return RUN_STATUSES.filter((from) => NEXT[from].includes(to));
}

export function isTerminal(status: RunStatus): boolean {
  return NEXT[status].length === 0;
}

export const ACTIVE_STATUSES: readonly RunStatus[] = RUN_STATUSES.filter((s) => !isTerminal(s));

/** What a run that does not run yet is waiting for, in words (dashboard and CLI); null once it runs. */
export function waitingFor(run: {
  status: RunStatus;
  launchedAt: number | null;
  waitingReason?: string | null;
  agentPool?: string | null;
}): string | null {
  if (run.status !== "Pending") return null;
  if (run.launchedAt === null && run.waitingReason) return run.waitingReason;
  if (run.launchedAt === null) {
    return run.agentPool
      ? "queued: waiting to be placed on the pool's agents"
      : "queued: waiting for a job worker to launch Locust";
  }
  return run.agentPool
    ? "starting Locust on the agents: waiting for its workers to join and its test start"
    : "starting Locust: waiting for it to report its test start";
}

/** At or above this error rate a run that ended is no success, whatever its status says. */
export const UNHEALTHY_ERROR_PERCENT = 90;

/**
 * Why a run that ended is no success although its status is not Failed (a target that was down, a
 * wrong URL): the dashboard, the CLI and lists show it as a failure. Null when nothing is wrong, while
 * it runs, and for a Failed run (its failureReason says why).
 */
export function runWarning(run: {
  status: RunStatus;
  results: { totalRequests: number; totalFailures: number; errorRatePercent: number } | null;
}): string | null {
  const { results } = run;
  if (run.status === "Failed" || results === null) return null;
  if (results.totalRequests === 0) return "No request was made: the run never reached its target";
  if (results.totalFailures === results.totalRequests) return "Every request failed (100 % errors)";
  if (results.errorRatePercent >= UNHEALTHY_ERROR_PERCENT)
    return `Most requests failed (${results.errorRatePercent.toFixed(1)} % errors)`;
  return null;
}
