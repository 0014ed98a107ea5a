/** A run's one judgement (no zod here: the dashboard imports this). */
import type { RunVerdict } from "./judge.js";
import { isTerminal, type RunStatus } from "./runStatus.js";

/** At or above this share of failed requests a run had no success, whatever its thresholds said. */
export const NO_SUCCESS_ERROR_PERCENT = 90;

export const RUN_OUTCOMES = ["passed", "failed", "aborted", "regressed", "no-success"] as const;
export type RunOutcome = (typeof RUN_OUTCOMES)[number];

/** What an ended run's outcome is decided from (its status, its whole-run figures, its verdict). */
export interface OutcomeFacts {
  status: RunStatus;
  results: { totalRequests: number; totalFailures: number } | null;
  verdict: Pick<RunVerdict, "aborted" | "checks" | "regressions"> | null;
}

/**
 * An ended run's outcome, decided once when it ends and stored on it; null while it is active. The
 * first that holds wins: aborted, no-success, failed, regressed, passed.
 */
export function decideOutcome({ status, results, verdict }: OutcomeFacts): RunOutcome | null {
  if (!isTerminal(status)) return null;
  if (verdict?.aborted === true) return "aborted";
  const requests = results?.totalRequests ?? 0;
  const failures = results?.totalFailures ?? 0;
  if (status !== "Failed" && (requests === 0 || failures * 100 >= requests * NO_SUCCESS_ERROR_PERCENT)) {
    return "no-success";
  }
  if (status === "Failed" || verdict?.checks.some((check) => !check.passed) === true) return "failed";
  if ((verdict?.regressions.length ?? 0) > 0) return "regressed";
  return "passed";
}
