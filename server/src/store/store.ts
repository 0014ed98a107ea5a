import type {
  LoadTest,
  MetricSnapshot,
  RunMetricsSummary,
  LoadTestFilter,
  LoadTestRun,
  Page,
  RunFilter,
  RunStatus,
  ScriptRevision,
  WindowStatsRecord,
} from "@loadmgr/shared";
import type { SnapshotPoint, SnapshotWindow } from "./snapshotRecord.js";

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
  offset?: number | undefined;
}

/** Fields of a test that `updateLoadTest` may change. */
export type LoadTestChanges = Partial<
  Pick<
    LoadTest,
    | "name"
    | "description"
    | "tags"
    | "envId"
    | "locustClusterId"
    | "targetUrl"
    | "scenarioId"
    | "defaultUsers"
    | "defaultSpawnRate"
    | "defaultDurationSec"
    | "maxDurationSec"
    | "metadata"
  >
> &
  Pick<LoadTest, "updatedAt" | "updatedBy">;

export type NewScriptRevision = Omit<ScriptRevision, "revisionNumber">;

export type RunChanges = Partial<Pick<LoadTestRun, "startedAt" | "finishedAt" | "failureReason" | "verdict">> &
  Pick<LoadTestRun, "updatedAt" | "updatedBy">;

export type LaunchChanges = Pick<LoadTestRun, "launchedAt" | "updatedAt" | "updatedBy">;

/**
 * The persistence contract. SqliteStore and MongoStore both implement it and pass one contract
 * suite (store.contract.ts). Every method is safe under concurrent callers.
 */
export interface Store {
  readonly kind: "sqlite" | "mongodb";
  /** Creates tables/collections and indexes. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the backing database cannot be reached. */
  ping(): Promise<void>;

  /** Stores a new test together with its revision 1. */
  createLoadTest(test: LoadTest, firstRevision: ScriptRevision): Promise<void>;
  getLoadTest(id: string): Promise<LoadTest | undefined>;
  /** Newest first (createdAt, then id), filtered; `tags` matches any of them. */
  listLoadTests(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>>;
  updateLoadTest(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined>;
  /** Deletes a test with its revisions, runs and metric snapshots. False when it did not exist. */
  deleteLoadTest(id: string): Promise<boolean>;

  /**
   * Appends the next revision (numbers are 1, 2, 3… per test, gapless and never reused, also under
   * concurrent callers) and moves the test's latestRevisionId to it. Undefined when the test is gone.
   */
  addScriptRevision(revision: NewScriptRevision): Promise<ScriptRevision | undefined>;
  getScriptRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined>;
  /** Newest first. */
  listScriptRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>>;

  /** Stores a Pending run and puts it at the front of its test's recentRuns. False when the test is gone. */
  createRun(run: LoadTestRun): Promise<boolean>;
  getRun(id: string): Promise<LoadTestRun | undefined>;
  /** Newest first (createdAt, then id), filtered. */
  listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>>;
  countActiveRuns(loadTestId: string): Promise<number>;
  /** How many runs there are of each status (statuses with none may be missing). */
  countRunsByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  /**
   * Moves a run to `to` only if its current status may move there (runStatus.ts), applies the
   * changes, and updates its recentRuns entry in place. Undefined when the guard did not hold.
   */
  transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined>;
  /** Sets launchedAt on a run that is Pending and not yet launched; undefined otherwise. */
  markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined>;
  /** Runs that are Pending, Running or Stopping, oldest first: what the sweep and reconciliation look at. */
  listActiveRuns(): Promise<LoadTestRun[]>;

  /**
   * Stores a snapshot once per (run, seq): a resend of a stored seq changes nothing and answers
   * "duplicate". A stored snapshot is added to the run's whole-run stats, and moves the run's
   * lastMetrics to `summary` unless a newer one is there.
   */
  addMetricSnapshot(snapshot: MetricSnapshot, summary: RunMetricsSummary): Promise<"added" | "duplicate">;
  /** A run's snapshots in seq order; with `limit`, only the first that many. */
  listMetricSnapshots(runId: string, window?: SnapshotWindow, limit?: number): Promise<MetricSnapshot[]>;
  /** How many of a run's snapshots the window holds (what a read of it would cost). */
  countMetricSnapshots(runId: string, window?: SnapshotWindow): Promise<number>;
  /**
   * The group size, at least `wanted`, that listSnapshotPoints answers cheaply for a whole run (SQLite:
   * a multiple of the blocks it keeps pre-merged, once `wanted` reaches one; MongoDB: `wanted`).
   */
  chartGroupSeqs(wanted: number): number;
  /**
   * A run's snapshots' all-endpoint figures in seq order: what charts read, without the per-endpoint
   * detail. With `groupSeqs` > 1, merged per range of that many consecutive seqs (groupBySeq); with
   * `limit` (ungrouped only), only the first that many.
   */
  listSnapshotPoints(
    runId: string,
    window?: SnapshotWindow,
    groupSeqs?: number,
    limit?: number,
  ): Promise<SnapshotPoint[]>;
  /** Every stored snapshot of the run merged; undefined before its first snapshot. */
  getRunStats(runId: string): Promise<WindowStatsRecord | undefined>;
}
