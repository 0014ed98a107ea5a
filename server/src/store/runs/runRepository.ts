import type { LoadChange, LoadTestRun, Page, RunFilter, RunMetricsSummary, RunStatus } from "@loadmgr/shared";
import type { PageRequest } from "../paging.js";

export type RunChanges = Partial<
  Pick<LoadTestRun, "startedAt" | "finishedAt" | "failureReason" | "verdict" | "results" | "outcome">
> &
  Pick<LoadTestRun, "updatedAt" | "updatedBy">;

export type LaunchChanges = Pick<LoadTestRun, "launchedAt" | "updatedAt" | "updatedBy">;

/** What placing a run on a pool, and watching it there, changes (never its status: transition does that). */
export type PoolRunChanges = Partial<
  Pick<LoadTestRun, "placement" | "warnings" | "waitingReason" | "masterEndpoint" | "workers" | "launchedAt">
> &
  Pick<LoadTestRun, "updatedAt" | "updatedBy">;

/** Runs; each run's entry in its test's recentRuns follows it (created and moved with it). */
export interface RunRepository {
  /**
   * Stores a Pending run as its test's next number (1, 2, 3… per test, gapless, also under concurrent
   * callers; `run.number` is ignored), named defaultRunName() when `run.name` is empty, and puts it at
   * the front of its test's recentRuns. Answers the stored run; undefined when the test is gone.
   */
  create(run: LoadTestRun): Promise<LoadTestRun | undefined>;
  get(id: string): Promise<LoadTestRun | undefined>;
  /** Newest first (createdAt, then id), filtered. */
  list(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>>;
  countActive(loadTestId: string): Promise<number>;
  /** How many runs there are of each status (statuses with none may be missing). */
  countByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  /**
   * Moves a run to `to` only if its current status may move there (runStatus.ts), applies the
   * changes, and updates its recentRuns entry in place. Undefined when the guard did not hold.
   */
  transition(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined>;
  /**
   * Makes a run its test's baseline in its env (unmarking the one before, also under concurrent
   * callers: one baseline per test and env), or unmarks it. Undefined when the run does not exist.
   */
  setBaseline(
    id: string,
    on: boolean,
    changes: Pick<LoadTestRun, "updatedAt" | "updatedBy">,
  ): Promise<LoadTestRun | undefined>;
  /** The test's baseline run in that env (null: runs without an env), if it has one. */
  findBaseline(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined>;
  /** Sets launchedAt on a run that is Pending and not yet launched; undefined otherwise. */
  markLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined>;
  /** Runs that are Pending, Running or Stopping, oldest first: what the sweep and reconciliation look at. */
  listActive(): Promise<LoadTestRun[]>;

  /** Moves the run's lastMetrics to `summary` unless that snapshot or a later one (by seq) is there. */
  setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void>;

  /** Appends a change of load to a run that is Running; undefined when it is not (or not there). */
  addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined>;

  /**
   * Changes a pool run's placement fields while it is active; with `unlaunched`, only while it is
   * Pending and not yet launched (placing it). Undefined when that did not hold.
   */
  updatePoolRun(id: string, changes: PoolRunChanges, unlaunched: boolean): Promise<LoadTestRun | undefined>;

  /**
   * Places a Pending, unlaunched run on its pool, one placement of a pool at a time (whichever
   * server process makes it): `decide` gets the pool's active runs, oldest first (this one among
   * them), and answers the changes (the placement) or undefined to leave the run as it is. Answers
   * the placed run; undefined when `decide` declined or the run was no longer Pending and unlaunched.
   */
  placePoolRun(
    id: string,
    poolId: string,
    decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
  ): Promise<LoadTestRun | undefined>;
}
