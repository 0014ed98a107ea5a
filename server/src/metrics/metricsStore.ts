import type { MetricSnapshot, RunFile, RunFileName, WindowStatsRecord } from "@loadmgr/shared";
import type { SnapshotPoint, SnapshotWindow } from "./snapshotRecord.js";

export type { SnapshotPoint, SnapshotWindow } from "./snapshotRecord.js";

/**
 * The metrics time series of runs: their snapshots, chart figures and whole-run stats. Apart from the
 * entity store (store/store.ts, a repository per entity), which holds the entities (tests, runs, pools…); snapshots carry their run's
 * and test's ids, and nothing here reads an entity. SqliteMetricsStore and MongoMetricsStore both
 * implement it and pass one contract suite (metricsStore.contract.ts); how each keeps its reads cheap
 * (pre-merged chart blocks, whole-run stats merged in batches off the push path) is its own affair.
 */
/** A file of a run's Locust as stored: its bytes, and whose it is. */
export interface RunFileRecord extends RunFile {
  runId: string;
  loadTestId: string;
  content: Buffer;
}

export interface MetricsStore {
  readonly kind: "sqlite" | "mongodb";
  /** Creates tables/collections and indexes and converts old forms. Idempotent. */
  init(): Promise<void>;
  /** Waits for merges under way, then lets go of the connection. */
  close(): Promise<void>;

  /**
   * Stores a snapshot once per (run, seq): a resend of a stored seq changes nothing and answers
   * "duplicate". Never waits for a merge: whole-run stats and chart blocks catch up in the background.
   */
  addMetricSnapshot(snapshot: MetricSnapshot): Promise<"added" | "duplicate">;
  /** A run's snapshots in seq order; with `limit`, only the first that many. */
  listMetricSnapshots(runId: string, window?: SnapshotWindow, limit?: number): Promise<MetricSnapshot[]>;
  /** How many of a run's snapshots the window holds (what a read of it would cost). */
  countMetricSnapshots(runId: string, window?: SnapshotWindow): Promise<number>;
  /**
   * The group size, at least `wanted`, that listSnapshotPoints answers cheaply for a whole run (a
   * multiple of the blocks the store keeps pre-merged, once `wanted` reaches one).
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
  /** Every stored snapshot of the run merged (whatever the background merges have reached); undefined before the first. */
  getRunStats(runId: string): Promise<WindowStatsRecord | undefined>;
  /** Resolves when the merges asked for so far are done (tests and benchmarks read the merged state). */
  settle(): Promise<void>;
  /** Deletes every snapshot, block and stats of the test's runs. */
  deleteLoadTestMetrics(loadTestId: string): Promise<void>;
  /** Stores a file of a run's Locust (a second of the same name replaces the first). */
  putRunFile(file: RunFileRecord): Promise<void>;
  /** A run's files, by name, without their bytes. */
  listRunFiles(runId: string): Promise<RunFile[]>;
  getRunFile(runId: string, name: RunFileName): Promise<RunFileRecord | undefined>;
}
