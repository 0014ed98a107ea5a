import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import {
  and,
  count,
  desc,
  eq,
  getTableColumns,
  gt,
  gte,
  inArray,
  isNull,
  lt,
  lte,
  or,
  sql,
  type SQL,
} from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import {
  ACTIVE_STATUSES,
  predecessorsOf,
  type LoadTest,
  type LoadTestFilter,
  type LoadTestRun,
  type MetricSnapshot,
  type Page,
  type RunMetricsSummary,
  type RunFilter,
  type RunStatus,
  type ScriptRevision,
  type WindowStatsRecord,
  WindowStats,
} from "@loadmgr/shared";
import { checkPaging, decodeCursor, toPage } from "../cursor.js";
import { mergeRecentRun, toRecentRun } from "../recentRuns.js";
import {
  snapshotFromRecord,
  snapshotRecord,
  type SnapshotPoint,
  type SnapshotRecord,
  type SnapshotWindow,
} from "../snapshotRecord.js";
import type { LaunchChanges, LoadTestChanges, NewScriptRevision, PageRequest, RunChanges, Store } from "../store.js";
import * as schema from "./schema.js";
import { BLOCK_SEQS, groupBySeq, mergePoints } from "../pointGroups.js";
import {
  loadTestRuns,
  loadTests,
  metricsBlocks,
  metricsBodies,
  metricsTimeseries,
  runStats,
  scriptRevisions,
} from "./schema.js";

/** New snapshots are added to their run's run_stats row this many at a time (and whenever it is read). */
const MERGE_BATCH = 128;

/**
 * A run's snapshots not yet merged into its stats, through the partial index (the planner would
 * otherwise walk the run's whole primary-key range).
 */
const UNMERGED_ROWS = "metrics_timeseries indexed by metrics_unmerged_idx where load_test_run_id = ? and merged = 0";

/** The chart figures of a snapshot (metrics_timeseries) or of a block (metrics_blocks), named as SnapshotPoint. */
const POINT_COLUMNS = `select seq, timestamp, interval_ms as intervalMs, users, requests, failures,
  sum_response_ms as sumResponseMs, min_response_ms as minResponseMs, max_response_ms as maxResponseMs, histogram`;

/** A value built on first use (prepared statements need the tables that init() creates). */
function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../drizzle");

type Db = BetterSQLite3Database<typeof schema>;
type SortedTable = typeof loadTests | typeof loadTestRuns;

function afterCursor(table: SortedTable, cursor: string | undefined): SQL | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  return or(lt(table.createdAt, key.k), and(eq(table.createdAt, key.k), lt(table.id, key.id)));
}

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

/** The embedded store: one SQLite file through drizzle-orm. Every write is one synchronous transaction. */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly sqlite: Database.Database;
  private readonly db: Db;
  private statements:
    Record<"insertSnapshot" | "countUnmerged" | "updateLastMetrics", Database.Statement<unknown[]>> | undefined;

  /** `readonly`: a second connection for reads only (the read worker's), to a file the writer has made. */
  constructor(path: string, options: { readonly?: boolean } = {}) {
    if (options.readonly === true) {
      this.sqlite = new Database(path, { readonly: true, fileMustExist: true });
      this.sqlite.pragma("busy_timeout = 5000");
      this.db = drizzle(this.sqlite, { schema });
      return;
    }
    if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
    this.sqlite = new Database(path);
    // First, so that a second process opening the same file waits for the first instead of failing.
    this.sqlite.pragma("busy_timeout = 5000");
    // Snapshot rows are about 2 KB: 4 KB pages would hold one each, half empty. Only a new file takes it.
    this.sqlite.pragma("page_size = 16384");
    this.sqlite.pragma("journal_mode = WAL");
    this.sqlite.pragma("synchronous = NORMAL");
    this.db = drizzle(this.sqlite, { schema });
  }

  async init(): Promise<void> {
    migrate(this.db, { migrationsFolder: MIGRATIONS });
    this.convertV1Snapshots();
    this.buildMissingBlocks();
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
    this.db.transaction(
      (tx) => {
        for (const row of rows) this.insertSnapshot(JSON.parse(row.snapshot) as MetricSnapshot);
        tx.run(sql`drop table metrics_timeseries_v1`);
      },
      { behavior: "immediate" },
    );
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

  /** Rebuilds one block of a run's chart figures from the snapshots stored in its seq range. */
  private refreshBlock(runId: string, block: number): void {
    const points = this.pointsBetween(runId, block * BLOCK_SEQS + 1, (block + 1) * BLOCK_SEQS);
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

  private pointsBetween(runId: string, firstSeq: number, lastSeq: number): SnapshotPoint[] {
    return this.hot().pointsBetween.all(runId, firstSeq, lastSeq) as SnapshotPoint[];
  }

  /** Inserts a snapshot unless its (run, seq) is stored; merges the run's new snapshots in batches. */
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
    const { pending } = statements.countUnmerged.get(snapshot.runId) as { pending: number };
    if (pending >= MERGE_BATCH) this.mergePending(snapshot.runId);
    return true;
  }

  /** Adds the run's not-yet-merged snapshots to its run_stats row. Call inside a write transaction. */
  private mergePending(runId: string): WindowStatsRecord | undefined {
    const row = this.db.select().from(runStats).where(eq(runStats.loadTestRunId, runId)).get();
    const pending = this.hot().pendingWithBodies.all(runId) as SnapshotRecord[];
    if (pending.length === 0) return row?.stats;
    const first = pending[0] as SnapshotRecord;
    const stats = row === undefined ? new WindowStats() : WindowStats.fromRecord(row.stats);
    for (const record of pending) stats.addSnapshot(snapshotFromRecord(record));
    const record = stats.toRecord();
    this.db
      .insert(runStats)
      .values({ loadTestRunId: runId, loadTestId: first.loadTestId, stats: record })
      .onConflictDoUpdate({ target: runStats.loadTestRunId, set: { stats: record } })
      .run();
    this.hot().markMerged.run(runId);
    const blocks = new Set(pending.map((snapshot) => Math.floor((snapshot.seq - 1) / BLOCK_SEQS)));
    for (const block of blocks) this.refreshBlock(runId, block);
    return record;
  }

  /** Ingest's statements, prepared once: building them through the query builder costs more than running them. */
  private readonly hot = lazy(() => ({
    insertSnapshot: this.sqlite.prepare(
      `insert into metrics_timeseries (load_test_run_id, seq, timestamp, load_test_id, account_id, org_id,
           project_id, env_id, interval_ms, users, requests, failures, sum_response_ms, min_response_ms,
           max_response_ms, histogram, merged)
         values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) on conflict do nothing`,
    ),
    insertBody: this.sqlite.prepare("insert into metrics_bodies (load_test_run_id, seq, body) values (?, ?, ?)"),
    pointsBetween: this.sqlite.prepare(`${POINT_COLUMNS} from metrics_timeseries
       where load_test_run_id = ? and seq between ? and ? order by seq`),
    pendingWithBodies: this.sqlite.prepare(
      `select m.load_test_run_id as loadTestRunId, m.seq, m.timestamp, m.load_test_id as loadTestId,
         m.account_id as accountId, m.org_id as orgId, m.project_id as projectId, m.env_id as envId,
         m.interval_ms as intervalMs, m.users, m.requests, m.failures, m.sum_response_ms as sumResponseMs,
         m.min_response_ms as minResponseMs, m.max_response_ms as maxResponseMs, m.histogram, b.body
       from metrics_timeseries as m indexed by metrics_unmerged_idx
       join metrics_bodies as b on b.load_test_run_id = m.load_test_run_id and b.seq = m.seq
       where m.load_test_run_id = ? and m.merged = 0 order by m.seq`,
    ),
    markMerged: this.sqlite.prepare(
      "update metrics_timeseries indexed by metrics_unmerged_idx set merged = 1 where load_test_run_id = ? and merged = 0",
    ),
    upsertBlock: this.sqlite.prepare(
      `insert or replace into metrics_blocks (load_test_run_id, block, snapshots, seq, timestamp, interval_ms, users,
         requests, failures, sum_response_ms, min_response_ms, max_response_ms, histogram)
       values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    blocksBefore: this.sqlite.prepare(`${POINT_COLUMNS} from metrics_blocks
       where load_test_run_id = ? and block < ? order by block`),
    firstPending: this.sqlite.prepare(`select min(seq) as seq from ${UNMERGED_ROWS}`),
    countUnmerged: this.sqlite.prepare(`select count(*) as pending from ${UNMERGED_ROWS}`),
    updateLastMetrics: this.sqlite.prepare(
      `update load_test_runs set last_metrics = ?
         where id = ? and (last_metrics is null or json_extract(last_metrics, '$.timestamp') <= ?)`,
    ),
  }));

  async close(): Promise<void> {
    if (this.sqlite.open) this.sqlite.close();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare("select 1").get();
  }

  async createLoadTest(test: LoadTest, firstRevision: ScriptRevision): Promise<void> {
    this.db.transaction(
      (tx) => {
        tx.insert(scriptRevisions).values(firstRevision).run();
        tx.insert(loadTests).values(test).run();
      },
      { behavior: "immediate" },
    );
  }

  async getLoadTest(id: string): Promise<LoadTest | undefined> {
    return this.db.select().from(loadTests).where(eq(loadTests.id, id)).get();
  }

  async listLoadTests(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>> {
    checkPaging(page);
    const where = and(
      filter.accountId !== undefined ? eq(loadTests.accountId, filter.accountId) : undefined,
      filter.orgId !== undefined ? eq(loadTests.orgId, filter.orgId) : undefined,
      filter.projectId !== undefined ? eq(loadTests.projectId, filter.projectId) : undefined,
      filter.envId !== undefined ? eq(loadTests.envId, filter.envId) : undefined,
      filter.tags !== undefined && filter.tags.length > 0
        ? sql`exists (select 1 from json_each(${loadTests.tags}) where json_each.value in (${sql.join(
            filter.tags.map((t) => sql`${t}`),
            sql`, `,
          )}))`
        : undefined,
      afterCursor(loadTests, page.cursor),
    );
    const rows = this.db
      .select()
      .from(loadTests)
      .where(where)
      .orderBy(desc(loadTests.createdAt), desc(loadTests.id))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (t) => ({ k: t.createdAt, id: t.id }));
  }

  async updateLoadTest(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined> {
    return this.db.update(loadTests).set(changes).where(eq(loadTests.id, id)).returning().get();
  }

  async deleteLoadTest(id: string): Promise<boolean> {
    const deleted = this.db.transaction(
      (tx) => {
        const removed = tx.delete(loadTests).where(eq(loadTests.id, id)).run().changes > 0;
        tx.delete(scriptRevisions).where(eq(scriptRevisions.loadTestId, id)).run();
        tx.delete(metricsBodies)
          .where(
            inArray(
              metricsBodies.loadTestRunId,
              tx.select({ id: loadTestRuns.id }).from(loadTestRuns).where(eq(loadTestRuns.loadTestId, id)),
            ),
          )
          .run();
        tx.delete(metricsBlocks)
          .where(
            inArray(
              metricsBlocks.loadTestRunId,
              tx.select({ id: loadTestRuns.id }).from(loadTestRuns).where(eq(loadTestRuns.loadTestId, id)),
            ),
          )
          .run();
        tx.delete(metricsTimeseries).where(eq(metricsTimeseries.loadTestId, id)).run();
        tx.delete(loadTestRuns).where(eq(loadTestRuns.loadTestId, id)).run();
        tx.delete(runStats).where(eq(runStats.loadTestId, id)).run();
        return removed;
      },
      { behavior: "immediate" },
    );
    return deleted;
  }

  async addScriptRevision(revision: NewScriptRevision): Promise<ScriptRevision | undefined> {
    const stored = this.db.transaction(
      (tx) => {
        const test = tx
          .select({ latest: loadTests.latestRevisionNumber })
          .from(loadTests)
          .where(eq(loadTests.id, revision.loadTestId))
          .get();
        if (test === undefined) return undefined;
        const row: ScriptRevision = { ...revision, revisionNumber: test.latest + 1 };
        tx.insert(scriptRevisions).values(row).run();
        tx.update(loadTests)
          .set({
            latestRevisionId: row.id,
            latestRevisionNumber: row.revisionNumber,
            updatedAt: row.createdAt,
            updatedBy: row.createdBy,
          })
          .where(eq(loadTests.id, revision.loadTestId))
          .run();
        return row;
      },
      { behavior: "immediate" },
    );
    return stored;
  }

  async getScriptRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined> {
    return this.db
      .select()
      .from(scriptRevisions)
      .where(and(eq(scriptRevisions.loadTestId, loadTestId), eq(scriptRevisions.id, revisionId)))
      .get();
  }

  async listScriptRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>> {
    checkPaging(page);
    const before = page.cursor !== undefined ? decodeCursor(page.cursor).k : undefined;
    const rows = this.db
      .select()
      .from(scriptRevisions)
      .where(
        and(
          eq(scriptRevisions.loadTestId, loadTestId),
          before !== undefined ? lt(scriptRevisions.revisionNumber, before) : undefined,
        ),
      )
      .orderBy(desc(scriptRevisions.revisionNumber))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (r) => ({ k: r.revisionNumber, id: r.id }));
  }

  async createRun(run: LoadTestRun): Promise<boolean> {
    const created = this.db.transaction(
      (tx) => {
        const test = tx
          .select({ recentRuns: loadTests.recentRuns })
          .from(loadTests)
          .where(eq(loadTests.id, run.loadTestId))
          .get();
        if (test === undefined) return false;
        tx.insert(loadTestRuns).values(run).run();
        tx.update(loadTests)
          .set({ recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(run)) })
          .where(eq(loadTests.id, run.loadTestId))
          .run();
        return true;
      },
      { behavior: "immediate" },
    );
    return created;
  }

  /** Prepared once: ingest reads the run on every push. */
  private readonly runById = lazy(() =>
    this.db
      .select()
      .from(loadTestRuns)
      .where(eq(loadTestRuns.id, sql.placeholder("id")))
      .prepare(),
  );

  async getRun(id: string): Promise<LoadTestRun | undefined> {
    return this.runById().get({ id });
  }

  async listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
    checkPaging(page);
    const where = and(
      filter.loadTestId !== undefined ? eq(loadTestRuns.loadTestId, filter.loadTestId) : undefined,
      filter.accountId !== undefined ? eq(loadTestRuns.accountId, filter.accountId) : undefined,
      filter.orgId !== undefined ? eq(loadTestRuns.orgId, filter.orgId) : undefined,
      filter.projectId !== undefined ? eq(loadTestRuns.projectId, filter.projectId) : undefined,
      filter.envId !== undefined ? eq(loadTestRuns.envId, filter.envId) : undefined,
      filter.status !== undefined ? eq(loadTestRuns.status, filter.status) : undefined,
      afterCursor(loadTestRuns, page.cursor),
    );
    const rows = this.db
      .select()
      .from(loadTestRuns)
      .where(where)
      .orderBy(desc(loadTestRuns.createdAt), desc(loadTestRuns.id))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (r) => ({ k: r.createdAt, id: r.id }));
  }

  async countRunsByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = this.db
      .select({ status: loadTestRuns.status, n: count() })
      .from(loadTestRuns)
      .groupBy(loadTestRuns.status)
      .all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countActiveRuns(loadTestId: string): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(loadTestRuns)
      .where(and(eq(loadTestRuns.loadTestId, loadTestId), inArray(loadTestRuns.status, [...ACTIVE_STATUSES])))
      .get();
    return row?.n ?? 0;
  }

  async transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
    const updated = this.db.transaction(
      (tx) => {
        const run = tx
          .update(loadTestRuns)
          .set({ ...changes, status: to })
          .where(and(eq(loadTestRuns.id, id), inArray(loadTestRuns.status, predecessorsOf(to))))
          .returning()
          .get();
        if (run === undefined) return undefined;
        const test = tx
          .select({ recentRuns: loadTests.recentRuns })
          .from(loadTests)
          .where(eq(loadTests.id, run.loadTestId))
          .get();
        if (test !== undefined) {
          tx.update(loadTests)
            .set({ recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(run)) })
            .where(eq(loadTests.id, run.loadTestId))
            .run();
        }
        return run;
      },
      { behavior: "immediate" },
    );
    return updated;
  }

  chartGroupSeqs(wanted: number): number {
    return wanted >= BLOCK_SEQS ? Math.ceil(wanted / BLOCK_SEQS) * BLOCK_SEQS : wanted;
  }

  async markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set(changes)
      .where(and(eq(loadTestRuns.id, id), eq(loadTestRuns.status, "Pending"), isNull(loadTestRuns.launchedAt)))
      .returning()
      .get();
  }

  async listActiveRuns(): Promise<LoadTestRun[]> {
    return this.db
      .select()
      .from(loadTestRuns)
      .where(inArray(loadTestRuns.status, [...ACTIVE_STATUSES]))
      .orderBy(loadTestRuns.createdAt, loadTestRuns.id)
      .all();
  }

  async addMetricSnapshot(snapshot: MetricSnapshot, summary: RunMetricsSummary): Promise<"added" | "duplicate"> {
    return this.sqlite
      .transaction(() => {
        if (!this.insertSnapshot(snapshot)) return "duplicate";
        this.hot().updateLastMetrics.run(JSON.stringify(summary), snapshot.runId, summary.timestamp);
        return "added";
      })
      .immediate();
  }

  private windowWhere(runId: string, window: SnapshotWindow): SQL | undefined {
    return and(
      eq(metricsTimeseries.loadTestRunId, runId),
      window.from !== undefined ? gte(metricsTimeseries.timestamp, window.from) : undefined,
      window.to !== undefined ? lte(metricsTimeseries.timestamp, window.to) : undefined,
      window.afterSeq !== undefined ? gt(metricsTimeseries.seq, window.afterSeq) : undefined,
      window.throughSeq !== undefined ? lte(metricsTimeseries.seq, window.throughSeq) : undefined,
    );
  }

  /** Whole stored snapshots (chart figures joined with their detail), in seq order. */
  private withBodies(where: SQL | undefined, limit = -1): SnapshotRecord[] {
    return this.db
      .select({ ...getTableColumns(metricsTimeseries), body: metricsBodies.body })
      .from(metricsTimeseries)
      .innerJoin(
        metricsBodies,
        and(
          eq(metricsBodies.loadTestRunId, metricsTimeseries.loadTestRunId),
          eq(metricsBodies.seq, metricsTimeseries.seq),
        ),
      )
      .where(where)
      .orderBy(metricsTimeseries.seq)
      .limit(limit) // SQLite: -1 is no limit
      .all();
  }

  async countMetricSnapshots(runId: string, window: SnapshotWindow = {}): Promise<number> {
    const [row] = await this.db.select({ n: count() }).from(metricsTimeseries).where(this.windowWhere(runId, window));
    return row?.n ?? 0;
  }

  async listMetricSnapshots(runId: string, window: SnapshotWindow = {}, limit?: number): Promise<MetricSnapshot[]> {
    return this.withBodies(this.windowWhere(runId, window), limit).map((row) => snapshotFromRecord(row));
  }

  /** Charts read tens of thousands of rows: one prepared statement per window shape, rows read as is. */
  private readonly pointQueries = new Map<string, Database.Statement<unknown[], SnapshotPoint>>();

  async listSnapshotPoints(
    runId: string,
    window: SnapshotWindow = {},
    groupSeqs = 1,
    limit = -1,
  ): Promise<SnapshotPoint[]> {
    const whole =
      limit < 0 &&
      window.from === undefined &&
      window.to === undefined &&
      window.afterSeq === undefined &&
      window.throughSeq === undefined;
    if (whole && groupSeqs % BLOCK_SEQS === 0) {
      // Blocks before the first snapshot not yet merged are up to date; read the rest as snapshots.
      return this.sqlite.transaction(() => {
        const { seq: pending } = this.hot().firstPending.get(runId) as { seq: number | null };
        const fresh = pending === null ? Number.MAX_SAFE_INTEGER : Math.floor((pending - 1) / BLOCK_SEQS);
        const blocks = this.hot().blocksBefore.all(runId, fresh) as SnapshotPoint[];
        const rest =
          pending === null
            ? (this.hot().pointsBetween.all(
                runId,
                (blocks.at(-1)?.seq ?? 0) + 1,
                Number.MAX_SAFE_INTEGER,
              ) as SnapshotPoint[])
            : this.pointsBetween(runId, fresh * BLOCK_SEQS + 1, Number.MAX_SAFE_INTEGER);
        return groupBySeq([...blocks, ...rest], groupSeqs);
      })();
    }
    const bounds: [keyof SnapshotWindow, string][] = [
      ["from", "timestamp >= ?"],
      ["to", "timestamp <= ?"],
      ["afterSeq", "seq > ?"],
      ["throughSeq", "seq <= ?"],
    ];
    const used = bounds.filter(([key]) => window[key] !== undefined);
    const shape = used.map(([key]) => key).join(",");
    let query = this.pointQueries.get(shape);
    if (query === undefined) {
      query = this.sqlite.prepare<unknown[], SnapshotPoint>(
        `${POINT_COLUMNS} from metrics_timeseries
         where load_test_run_id = ? ${used.map(([, clause]) => `and ${clause}`).join(" ")}
         order by seq limit ?`,
      );
      this.pointQueries.set(shape, query);
    }
    return groupBySeq(query.all(runId, ...used.map(([key]) => window[key]), limit), groupSeqs);
  }

  async getRunStats(runId: string): Promise<WindowStatsRecord | undefined> {
    return this.sqlite.transaction(() => this.mergePending(runId)).immediate();
  }
}
