import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { WindowStatsRecord } from "@loadmgr/shared";

/* The metrics store's tables, declared for drizzle-kit's migrations (the store itself reads and writes them with its own SQL). */

/** A snapshot's (or a block of snapshots') figures over all endpoints: SnapshotPoint's columns, less seq. */
const chartFigures = () => ({
  timestamp: integer("timestamp").notNull(),
  intervalMs: integer("interval_ms").notNull(),
  users: integer("users").notNull(),
  requests: integer("requests").notNull(),
  failures: integer("failures").notNull(),
  sumResponseMs: real("sum_response_ms").notNull(),
  minResponseMs: real("min_response_ms").notNull(),
  maxResponseMs: real("max_response_ms").notNull(),
  histogram: blob("histogram", { mode: "buffer" }).notNull(),
});

export const metricsTimeseries = sqliteTable(
  "metrics_timeseries",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    seq: integer("seq").notNull(),
    loadTestId: text("load_test_id").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    ...chartFigures(),
    /** 1 once the snapshot is in its run's run_stats row; new snapshots are merged in batches. */
    merged: integer("merged").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.loadTestRunId, t.seq] }),
    index("metrics_run_time_idx").on(t.loadTestRunId, t.timestamp),
    index("metrics_unmerged_idx")
      .on(t.loadTestRunId, t.seq)
      .where(sql`merged = 0`),
  ],
);

/**
 * Each snapshot's compressed per-endpoint detail, apart from its chart figures so that charts over
 * tens of thousands of snapshots read narrow rows. Both tables are WITHOUT ROWID (see 0004), so rows
 * sit in (run, seq) order.
 */
export const metricsBodies = sqliteTable(
  "metrics_bodies",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    seq: integer("seq").notNull(),
    body: blob("body", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.seq] })],
);

/**
 * Per run, its chart figures merged per block of BLOCK_SEQS consecutive seqs (block b: seqs
 * b·16+1 … (b+1)·16), so a day's chart merges 2,700 blocks rather than 43,200 snapshots.
 */
export const metricsBlocks = sqliteTable(
  "metrics_blocks",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    block: integer("block").notNull(),
    snapshots: integer("snapshots").notNull(),
    /** The block's last stored seq. */
    seq: integer("seq").notNull(),
    ...chartFigures(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.block] })],
);

/** Per run, every stored snapshot merged: whole-run figures without scanning the time series. */
export const runStats = sqliteTable(
  "run_stats",
  {
    loadTestRunId: text("load_test_run_id").primaryKey(),
    loadTestId: text("load_test_id").notNull(),
    stats: text("stats", { mode: "json" }).$type<WindowStatsRecord>().notNull(),
  },
  (t) => [index("run_stats_test_idx").on(t.loadTestId)],
);

/** Files a run's Locust wrote (its CSVs, its log), collected when its master ended; gzip-compressed. */
export const runFiles = sqliteTable(
  "run_files",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    name: text("name").notNull(),
    loadTestId: text("load_test_id").notNull(),
    gzipped: blob("gzipped", { mode: "buffer" }).notNull(),
    bytes: integer("bytes").notNull(),
    truncated: integer("truncated", { mode: "boolean" }).notNull(),
    collectedAt: integer("collected_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.name] }), index("run_files_test_idx").on(t.loadTestId)],
);
