import {
  intervalFigures,
  isTerminal,
  type LoadTestRun,
  type MetricSnapshotInput,
  type RunMetricsSummary,
} from "@loadmgr/shared";
import type { Context } from "../../context.js";
import { AppError, notFound } from "../../errors.js";

/** The run, if it may still take reports; a run that has ended answers RUN_FINISHED (the plugin then stops sending). */
export async function openRun(ctx: Context, runId: string): Promise<LoadTestRun> {
  const run = await ctx.store.runs.get(runId);
  if (run === undefined) throw notFound("RUN", runId, "runId");
  if (isTerminal(run.status))
    throw new AppError("RUN_FINISHED", `run ${runId} has already ended (${run.status})`, "runId");
  return run;
}

/** How far a generator's clock may be from the server's: a report's time must lie in the run's life. */
export const CLOCK_SKEW_MS = 60_000;
export const BEFORE_CREATED_MS = 5 * 60_000;

/**
 * Refuses a report timed outside [created − 5 min, now + 1 min]: a time far in the future would
 * freeze the run's last-seen time (the silence rule could never fire) and one far in the past would
 * stretch its figures over decades.
 */
export function checkTimestamp(ctx: Context, run: LoadTestRun, timestamp: number): void {
  const now = ctx.now();
  if (timestamp > now + CLOCK_SKEW_MS || timestamp < run.createdAt - BEFORE_CREATED_MS) {
    throw new AppError(
      "TIMESTAMP_OUT_OF_RANGE",
      `timestamp ${timestamp} is outside the run's life as this server sees it (${run.createdAt - BEFORE_CREATED_MS} to ${now + CLOCK_SKEW_MS}); is the generator's clock right?`,
      "timestamp",
    );
  }
}

export function summarize(snapshot: MetricSnapshotInput): RunMetricsSummary {
  const counts = { requests: 0, failures: 0, sumResponseMs: 0 };
  for (const endpoint of snapshot.endpoints) {
    counts.requests += endpoint.requests;
    counts.failures += endpoint.failures;
    counts.sumResponseMs += endpoint.sumResponseMs;
  }
  const { requestsPerSec, failuresPerSec, avgResponseMs } = intervalFigures(counts, snapshot.intervalMs);
  return {
    timestamp: snapshot.timestamp,
    seq: snapshot.seq,
    users: snapshot.users,
    requestsPerSec,
    failuresPerSec,
    totalRequests: snapshot.totalRequests,
    totalFailures: snapshot.totalFailures,
    avgResponseMs,
  };
}

/** A run's files come as its master ends, after the run's end: taken until this long after it. */
export const FILES_AFTER_END_MS = 10 * 60_000;

export const STATUS_BY_REASON = { duration: "Finished", stopped: "Stopped", error: "Failed" } as const;
