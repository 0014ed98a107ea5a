import { gunzipSync, gzipSync } from "node:zlib";
import type Database from "better-sqlite3";
import type { MetricSnapshot, RunFile, RunFileName, WindowStatsRecord } from "@loadmgr/shared";
import { lazy, migrateSqliteFile, openSqliteFile } from "../../db/sqliteFile.js";
import type { MetricsStore, RunFileRecord } from "../metricsStore.js";
import { BLOCK_SEQS, groupBySeq, mergePoints } from "../pointGroups.js";
import {
  isWholeRun,
  snapshotFromRecord,
  snapshotRecord,
  withRecords,
  type SnapshotPoint,
  type SnapshotRecord,
  type SnapshotWindow,
} from "../snapshotRecord.js";
import { inlineMerger, workerMerger, type Merger } from "./merger.js";

/** A run's new snapshots are merged into its run_stats row once this many wait (and at its final snapshot). */
const MERGE_BATCH = 128;

/**
 * A run's snapshots not yet merged into its stats, through the partial index (the planner would
 * otherwise walk the run's whole primary-key range).
 */
const UNMERGED_ROWS = "metrics_timeseries indexed by metrics_unmerged_idx where load_test_run_id = ? and merged = 0";

/** The chart figures of a snapshot (metrics_timeseries) or of a block (metrics_blocks), named as SnapshotPoint. */
const POINT_COLUMNS = `select seq, timestamp, interval_ms as intervalMs, users, requests, failures,
  sum_response_ms as sumResponseMs, min_response_ms as minResponseMs, max_response_ms as maxResponseMs, histogram`;

const RECORD_COLUMNS = `m.load_test_run_id as loadTestRunId, m.seq, m.timestamp, m.load_test_id as loadTestId,
  m.account_id as accountId, m.org_id as orgId, m.project_id as projectId, m.env_id as envId,
  m.interval_ms as intervalMs, m.users, m.requests, m.failures, m.sum_response_ms as sumResponseMs,
  m.min_response_ms as minResponseMs, m.max_response_ms as maxResponseMs, m.histogram, b.body`;

const WINDOW_BOUNDS: [keyof SnapshotWindow, string][] = [
  ["from", "m.timestamp >= ?"],
  ["to", "m.timestamp <= ?"],
  ["afterSeq", "m.seq > ?"],
  ["throughSeq", "m.seq <= ?"],
];

export interface SqliteMetricsOptions {
  /** For reads only (the read worker's connection): no schema changes, no merges. */
  readonly?: boolean;
  /**
   * Where batched merges run: "worker" (the default for a file: a worker thread with its own
   * connection, so no push and no read on this thread waits for one) or "inline" (after the push is
   * answered, on this thread: for `:memory:`, and inside the merge worker itself).
   */
  merges?: "worker" | "inline";
  /** Told when a merge fails (its snapshots stay unmerged: reads merge them, the next batch tries again). */
  onMergeFailure?: (runId: string, failure: string) => void;
}

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

/**
 * The embedded metrics store, in the same SQLite file as the entity store (its own connection).
 * Snapshots keep their chart figures (metrics_timeseries) apart from their compressed detail
 * (metrics_bodies); a run's stats (run_stats) and its chart blocks (metrics_blocks) are merged per
 * batch of new snapshots by the merger; reads add what is not merged yet.
 */
export class SqliteMetricsStore implements MetricsStore {
  readonly kind = "sqlite";
  private readonly sqlite: Database.Database;
  private readonly merger: Merger;
  private readonly readonly: boolean;

  constructor(path: string, options: SqliteMetricsOptions = {}) {
    this.readonly = options.readonly === true;
    this.sqlite = openSqliteFile(path, { readonly: this.readonly });
    const inline = options.merges === "inline" || path === ":memory:";
    const onFailure = options.onMergeFailure ?? (() => undefined);
    this.merger = inline ? inlineMerger((runId) => this.mergeRun(runId), onFailure) : workerMerger(path, onFailure);
  }

  async init(): Promise<void> {
    if (this.readonly) return;
    migrateSqliteFile(this.sqlite);
    this.convertV1Snapshots();
    this.buildMissingBlocks();
  }

  async close(): Promise<void> {
    await this.merger.close();
    if (this.sqlite.open) this.sqlite.close();
  }

  settle(): Promise<void> {
    return this.merger.settle();
  }

  /** Snapshots stored before migration 0002 kept one JSON column; they move to the current form once. */
  private convertV1Snapshots(): void {
    const legacy = this.sqlite
      .prepare("select name from sqlite_master where type = 'table' and name = 'metrics_timeseries_v1'")
      .get();
    if (legacy === undefined) return;
    const rows = this.sqlite.prepare("select snapshot from metrics_timeseries_v1 order by seq").all() as {
      snapshot: string;
    }[];
    this.sqlite
      .transaction(() => {
        for (const row of rows) this.insertSnapshot(JSON.parse(row.snapshot) as MetricSnapshot);
        this.sqlite.exec("drop table metrics_timeseries_v1");
      })
      .immediate();
  }

  /** Snapshots merged before metrics_blocks existed (migration 0005) get their blocks once. */
  private buildMissingBlocks(): void {
    if (this.sqlite.prepare("select 1 from metrics_blocks limit 1").get() !== undefined) return;
    const runs = this.sqlite
      .prepare("select distinct load_test_run_id as runId from metrics_timeseries where merged = 1")
      .all() as { runId: string }[];
    this.sqlite.transaction(() => {
      for (const { runId } of runs) {
        const { last } = this.sqlite
          .prepare("select max(seq) as last from metrics_timeseries where load_test_run_id = ?")
          .get(runId) as { last: number };
        for (let block = 0; block * BLOCK_SEQS < last; block++) this.refreshBlock(runId, block);
      }
    })();
  }

  /** Statements prepared once: building them costs more than running them. */
  private readonly hot = lazy(() => ({
    insertSnapshot: this.sqlite.prepare(
      `insert into metrics_timeseries (load_test_run_id, seq, timestamp, load_test_id, account_id, org_id,
           project_id, env_id, interval_ms, users, requests, failures, sum_response_ms, min_response_ms,
           max_response_ms, histogram, merged)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) on conflict do nothing`,
    ),
    insertBody: this.sqlite.prepare("insert into metrics_bodies (load_test_run_id, seq, body) values (?, ?, ?)"),
    countUnmerged: this.sqlite.prepare(`select count(*) as pending from ${UNMERGED_ROWS}`),
    firstPending: this.sqlite.prepare(`select min(seq) as seq from ${UNMERGED_ROWS}`),
    pendingWithBodies: this.sqlite.prepare(
      `select ${RECORD_COLUMNS}
       from metrics_timeseries as m indexed by metrics_unmerged_idx
       join metrics_bodies as b on b.load_test_run_id = m.load_test_run_id and b.seq = m.seq
       where m.load_test_run_id = ? and m.merged = 0 order by m.seq`,
    ),
    statsOf: this.sqlite.prepare("select stats from run_stats where load_test_run_id = ?"),
    upsertStats: this.sqlite.prepare(
      `insert into run_stats (load_test_run_id, load_test_id, stats) values (?, ?, ?)
       on conflict (load_test_run_id) do update set stats = excluded.stats`,
    ),
    markMerged: this.sqlite.prepare(
      "update metrics_timeseries set merged = 1 where load_test_run_id = ? and seq in (select value from json_each(?))",
    ),
    pointsBetween: this.sqlite.prepare(`${POINT_COLUMNS} from metrics_timeseries
       where load_test_run_id = ? and seq between ? and ? order by seq`),
    upsertBlock: this.sqlite.prepare(
      `insert or replace into metrics_blocks (load_test_run_id, block, snapshots, seq, timestamp, interval_ms, users,
         requests, failures, sum_response_ms, min_response_ms, max_response_ms, histogram)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    blocksBefore: this.sqlite.prepare(`${POINT_COLUMNS} from metrics_blocks
       where load_test_run_id = ? and block < ? order by block`),
  }));

  /** Inserts a snapshot unless its (run, seq) is stored. True when it was new. */
  private insertSnapshot(snapshot: MetricSnapshot): boolean {
    const statements = this.hot();
    const r = snapshotRecord(snapshot);
    const inserted = statements.insertSnapshot.run(
      r.loadTestRunId,
      r.seq,
      r.timestamp,
      r.loadTestId,
      r.accountId,
      r.orgId,
      r.projectId,
      r.envId,
      r.intervalMs,
      r.users,
      r.requests,
      r.failures,
      r.sumResponseMs,
      r.minResponseMs,
      r.maxResponseMs,
      r.histogram,
    );
    if (inserted.changes === 0) return false;
    statements.insertBody.run(r.loadTestRunId, r.seq, r.body);
    return true;
  }

  async addMetricSnapshot(snapshot: MetricSnapshot): Promise<"added" | "duplicate"> {
    const pending = this.sqlite
      .transaction(() => {
        if (!this.insertSnapshot(snapshot)) return undefined;
        return (this.hot().countUnmerged.get(snapshot.runId) as { pending: number }).pending;
      })
      .immediate();
    if (pending === undefined) return "duplicate";
    if (pending >= MERGE_BATCH || snapshot.final) this.merger.request(snapshot.runId);
    return "added";
  }

  /** The run's kept stats and its snapshots not merged into them yet, read in one transaction. */
  private readUnmerged(runId: string): {
    row: { stats: string } | undefined;
    kept: WindowStatsRecord | undefined;
    pending: SnapshotRecord[];
  } {
    return this.sqlite.transaction(() => {
      const row = this.hot().statsOf.get(runId) as { stats: string } | undefined;
      return {
        row,
        kept: row === undefined ? undefined : (JSON.parse(row.stats) as WindowStatsRecord),
        pending: this.hot().pendingWithBodies.all(runId) as SnapshotRecord[],
      };
    })();
  }

  async getRunStats(runId: string): Promise<WindowStatsRecord | undefined> {
    const { kept, pending } = this.readUnmerged(runId);
    return withRecords(kept, pending);
  }

  /**
   * Adds the run's waiting snapshots to its run_stats row and rebuilds the chart blocks they fall in.
   * The reading and merging happen outside any write transaction; the write is short, marks merged
   * only the snapshots that were read, and is dropped if another merger (another server process on
   * the same file) wrote the run's stats meanwhile: the next merge takes it up.
   */
  mergeRun(runId: string): void {
    const { row, kept, pending } = this.readUnmerged(runId);
    const first = pending[0];
    if (first === undefined) return;
    const merged = withRecords(kept, pending);
    const seqs = JSON.stringify(pending.map((p) => p.seq));
    const blocks = new Set(pending.map((p) => Math.floor((p.seq - 1) / BLOCK_SEQS)));
    this.sqlite
      .transaction(() => {
        const now = this.hot().statsOf.get(runId) as { stats: string } | undefined;
        if (now?.stats !== row?.stats) return;
        this.hot().upsertStats.run(runId, first.loadTestId, JSON.stringify(merged));
        this.hot().markMerged.run(runId, seqs);
        for (const block of blocks) this.refreshBlock(runId, block);
      })
      .immediate();
  }

  /** Rebuilds one block of a run's chart figures from the snapshots stored in its seq range. */
  private refreshBlock(runId: string, block: number): void {
    const points = this.hot().pointsBetween.all(
      runId,
      block * BLOCK_SEQS + 1,
      (block + 1) * BLOCK_SEQS,
    ) as SnapshotPoint[];
    if (points.length === 0) return;
    const merged = mergePoints(points);
    this.hot().upsertBlock.run(
      runId,
      block,
      points.length,
      merged.seq,
      merged.timestamp,
      merged.intervalMs,
      merged.users,
      merged.requests,
      merged.failures,
      merged.sumResponseMs,
      merged.minResponseMs,
      merged.maxResponseMs,
      merged.histogram,
    );
  }

  chartGroupSeqs(wanted: number): number {
    return wanted >= BLOCK_SEQS ? Math.ceil(wanted / BLOCK_SEQS) * BLOCK_SEQS : wanted;
  }

  /** One prepared statement per (what is read, window shape). */
  private readonly windowQueries = new Map<string, Database.Statement<unknown[]>>();

  private windowQuery(
    kind: "count" | "points" | "records",
    window: SnapshotWindow,
  ): { statement: Database.Statement<unknown[]>; bounds: unknown[] } {
    const used = WINDOW_BOUNDS.filter(([key]) => window[key] !== undefined);
    const key = `${kind}:${used.map(([k]) => k).join(",")}`;
    let statement = this.windowQueries.get(key);
    if (statement === undefined) {
      const where = `where m.load_test_run_id = ? ${used.map(([, clause]) => `and ${clause}`).join(" ")}`;
      const sql =
        kind === "count"
          ? `select count(*) as n from metrics_timeseries as m ${where}`
          : kind === "points"
            ? `${POINT_COLUMNS} from metrics_timeseries as m ${where} order by m.seq limit ?`
            : `select ${RECORD_COLUMNS} from metrics_timeseries as m
               join metrics_bodies as b on b.load_test_run_id = m.load_test_run_id and b.seq = m.seq
               ${where} order by m.seq limit ?`;
      statement = this.sqlite.prepare(sql);
      this.windowQueries.set(key, statement);
    }
    return { statement, bounds: used.map(([k]) => window[k]) };
  }

  async countMetricSnapshots(runId: string, window: SnapshotWindow = {}): Promise<number> {
    const { statement, bounds } = this.windowQuery("count", window);
    return (statement.get(runId, ...bounds) as { n: number }).n;
  }

  async listMetricSnapshots(runId: string, window: SnapshotWindow = {}, limit = -1): Promise<MetricSnapshot[]> {
    const { statement, bounds } = this.windowQuery("records", window);
    return (statement.all(runId, ...bounds, limit) as SnapshotRecord[]).map((row) => snapshotFromRecord(row));
  }

  async listSnapshotPoints(
    runId: string,
    window: SnapshotWindow = {},
    groupSeqs = 1,
    limit = -1,
  ): Promise<SnapshotPoint[]> {
    if (limit < 0 && isWholeRun(window) && groupSeqs % BLOCK_SEQS === 0) {
      // Blocks before the first snapshot not yet merged are up to date; read the rest as snapshots.
      return this.sqlite.transaction(() => {
        const { seq: pending } = this.hot().firstPending.get(runId) as { seq: number | null };
        const fresh = pending === null ? Number.MAX_SAFE_INTEGER : Math.floor((pending - 1) / BLOCK_SEQS);
        const blocks = this.hot().blocksBefore.all(runId, fresh) as SnapshotPoint[];
        const from = pending === null ? (blocks.at(-1)?.seq ?? 0) + 1 : fresh * BLOCK_SEQS + 1;
        const rest = this.hot().pointsBetween.all(runId, from, Number.MAX_SAFE_INTEGER) as SnapshotPoint[];
        return groupBySeq([...blocks, ...rest], groupSeqs);
      })();
    }
    const { statement, bounds } = this.windowQuery("points", window);
    return groupBySeq(statement.all(runId, ...bounds, limit) as SnapshotPoint[], groupSeqs);
  }

  async deleteLoadTestMetrics(loadTestId: string): Promise<void> {
    this.sqlite
      .transaction(() => {
        const runs = JSON.stringify(
          (
            this.sqlite
              .prepare("select distinct load_test_run_id as id from metrics_timeseries where load_test_id = ?")
              .all(loadTestId) as { id: string }[]
          ).map((r) => r.id),
        );
        for (const table of ["metrics_bodies", "metrics_blocks", "metrics_timeseries", "run_stats"]) {
          this.sqlite
            .prepare(`delete from ${table} where load_test_run_id in (select value from json_each(?))`)
            .run(runs);
        }
        this.sqlite.prepare("delete from run_files where load_test_id = ?").run(loadTestId);
      })
      .immediate();
  }

  async putRunFile(file: RunFileRecord): Promise<void> {
    this.sqlite
      .prepare(
        `insert or replace into run_files (load_test_run_id, name, load_test_id, gzipped, bytes, truncated, collected_at)
         values (?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        file.runId,
        file.name,
        file.loadTestId,
        gzipSync(file.content),
        file.bytes,
        file.truncated ? 1 : 0,
        file.collectedAt,
      );
  }

  async listRunFiles(runId: string): Promise<RunFile[]> {
    const rows = this.sqlite
      .prepare(
        "select name, bytes, truncated, collected_at as collectedAt from run_files where load_test_run_id = ? order by name",
      )
      .all(runId) as (Omit<RunFile, "truncated"> & { truncated: number })[];
    return rows.map((row) => ({ ...row, truncated: row.truncated === 1 }));
  }

  async getRunFile(runId: string, name: RunFileName): Promise<RunFileRecord | undefined> {
    const row = this.sqlite
      .prepare(
        `select load_test_id as loadTestId, gzipped, bytes, truncated, collected_at as collectedAt
         from run_files where load_test_run_id = ? and name = ?`,
      )
      .get(runId, name) as
      { loadTestId: string; gzipped: Buffer; bytes: number; truncated: number; collectedAt: number } | undefined;
    if (row === undefined) return undefined;
    const { gzipped, truncated, ...rest } = row;
    return { ...rest, runId, name, truncated: truncated === 1, content: gunzipSync(gzipped) };
  }
}
