import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import {
  MongoClient,
  MongoServerError,
  type Collection,
  type Db,
  type Document,
  type Filter,
  type IndexDescription,
} from "mongodb";
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
import { groupBySeq } from "../pointGroups.js";
import { mergeRecentRun, toRecentRun } from "../recentRuns.js";
import {
  snapshotFromRecord,
  snapshotRecord,
  type SnapshotPoint,
  type SnapshotRecord,
  type SnapshotWindow,
} from "../snapshotRecord.js";
import type { LaunchChanges, LoadTestChanges, NewScriptRevision, PageRequest, RunChanges, Store } from "../store.js";

/** Documents keep the entity's `id` as `_id` too. */
type LoadTestDoc = LoadTest & { _id: string };
type RevisionDoc = ScriptRevision & { _id: string };
type RunDoc = LoadTestRun & { _id: string };
/** Keyed by `<runId>~<seq>`: a resend is refused by the one uniqueness FerretDB enforces. */
type SnapshotDoc = SnapshotRecord & { _id: string };
/** Per run, every stored snapshot merged; `lastSeq` lets a resend finish a merge a crash cut short. */
interface RunStatsDoc {
  _id: string;
  loadTestId: string;
  stats: string;
}
/** Snapshots stored before the chart columns existed: the whole snapshot in one field. */
interface V1SnapshotDoc {
  _id: string;
  snapshot: MetricSnapshot;
}
interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: number;
}

const HIDDEN = { projection: { _id: 0 } } as const;
/** Snapshots of a run merged into its kept stats at a time (as the SQLite store does). */
const MERGE_BATCH = 128;
/** A lock holder that died is taken over after this long; every locked section is a few queries. */
const LOCK_LEASE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

const isDuplicateKey = (error: unknown): boolean => error instanceof MongoServerError && error.code === 11000;
const backoff = (attempt: number): Promise<void> => sleep(Math.min(20, 1 + attempt) * Math.random());

function withoutId<T extends { _id: string }>(doc: T | null): Omit<T, "_id"> | undefined {
  if (doc === null) return undefined;
  const { _id, ...rest } = doc;
  return rest;
}

/**
 * Creates the indexes that are not there yet. Asking again for an existing index is legal in
 * MongoDB but crashes FerretDB 1.24's connection, so existing names are skipped.
 */
async function ensureIndexes<T extends Document>(
  collection: Collection<T>,
  indexes: (IndexDescription & { name: string })[],
): Promise<void> {
  let existing: string[] = [];
  try {
    existing = (await collection.listIndexes().toArray()).map((i: { name?: unknown }) => String(i.name));
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 26)) throw error; // 26: no such collection yet
  }
  const missing = indexes.filter((i) => !existing.includes(i.name));
  if (missing.length > 0) await collection.createIndexes(missing);
}

function cursorFilter(cursor: string | undefined): Document {
  if (cursor === undefined) return {};
  const key = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: key.k } }, { createdAt: key.k, _id: { $lt: key.id } }] };
}

function defined<T extends object>(filter: T): Document {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
}

/**
 * The production store on the official MongoDB driver. It needs no multi-document transactions nor
 * atomic conditional updates (FerretDB 1.x, the test server, has neither): every read-modify-write
 * runs under a lease lock whose acquisition is a unique-key insert, and revision numbers are also
 * guarded by a unique index.
 */
export class MongoStore implements Store {
  readonly kind = "mongodb";
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly loadTests: Collection<LoadTestDoc>;
  private readonly revisions: Collection<RevisionDoc>;
  private readonly runs: Collection<RunDoc>;
  private readonly metrics: Collection<SnapshotDoc>;
  private readonly runStats: Collection<RunStatsDoc>;
  private readonly locks: Collection<LockDoc>;

  constructor(uri: string, database: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    this.db = this.client.db(database);
    this.loadTests = this.db.collection("load_tests");
    this.revisions = this.db.collection("script_revisions");
    this.runs = this.db.collection("load_test_runs");
    this.metrics = this.db.collection("metrics_timeseries");
    this.runStats = this.db.collection("run_stats");
    this.locks = this.db.collection("locks");
  }

  async init(): Promise<void> {
    await this.client.connect();
    await ensureIndexes(this.loadTests, [
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, createdAt: -1 }, name: "scope_idx" },
      { key: { tags: 1 }, name: "tags_idx" },
    ]);
    await ensureIndexes(this.revisions, [
      { key: { loadTestId: 1, revisionNumber: -1 }, name: "number_idx", unique: true },
    ]);
    await ensureIndexes(this.runs, [
      { key: { loadTestId: 1, createdAt: -1 }, name: "test_idx" },
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, status: 1, createdAt: -1 }, name: "scope_status_idx" },
      { key: { status: 1 }, name: "status_idx" },
    ]);
    await ensureIndexes(this.metrics, [
      { key: { loadTestRunId: 1, seq: 1 }, name: "run_seq_idx", unique: true },
      { key: { loadTestRunId: 1, timestamp: 1 }, name: "run_time_idx" },
    ]);
    await ensureIndexes(this.runStats, [{ key: { loadTestId: 1 }, name: "test_idx" }]);
    await this.convertV1Snapshots();
    // Runs stored before thresholds existed.
    await this.runs.updateMany({ thresholds: { $exists: false } }, { $set: { thresholds: [], verdict: null } });
    await this.runs.updateMany({ launchedAt: { $exists: false } }, { $set: { launchedAt: null } });
  }

  private async convertV1Snapshots(): Promise<void> {
    const legacy = this.db.collection<V1SnapshotDoc>("metrics_timeseries");
    for await (const doc of legacy.find({ body: { $exists: false } }).sort({ seq: 1 })) {
      // The run's stats take it in when they are next read.
      await this.metrics.replaceOne({ _id: doc._id }, snapshotRecord(doc.snapshot));
    }
  }

  /** Inserts the snapshot unless its (run, seq) is there; its run's stats take it in when they are next read. */
  private async storeSnapshot(snapshot: MetricSnapshot): Promise<"added" | "duplicate"> {
    try {
      await this.metrics.insertOne({ _id: `${snapshot.runId}~${snapshot.seq}`, ...snapshotRecord(snapshot) });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return "duplicate";
    }
    if (snapshot.seq % MERGE_BATCH === 0) {
      // Every MERGE_BATCH snapshots the kept stats catch up, after the push has been answered: no push
      // waits for a merge, and a read never has more than about a batch left to merge itself.
      setImmediate(() => void this.getRunStats(snapshot.runId).catch(() => undefined));
    }
    return "added";
  }

  async close(): Promise<void> {
    await this.client.close();
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async createLoadTest(test: LoadTest, firstRevision: ScriptRevision): Promise<void> {
    // The revision first: a test never points at a revision that is not there.
    await this.revisions.insertOne({ _id: firstRevision.id, ...firstRevision });
    try {
      await this.loadTests.insertOne({ _id: test.id, ...test });
    } catch (error) {
      await this.revisions.deleteOne({ _id: firstRevision.id });
      throw error;
    }
  }

  async getLoadTest(id: string): Promise<LoadTest | undefined> {
    return (await this.loadTests.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listLoadTests(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>> {
    checkPaging(page);
    const query: Filter<LoadTestDoc> = {
      ...defined({
        accountId: filter.accountId,
        orgId: filter.orgId,
        projectId: filter.projectId,
        envId: filter.envId,
      }),
      ...(filter.tags !== undefined && filter.tags.length > 0 ? { tags: { $in: filter.tags } } : {}),
      ...cursorFilter(page.cursor),
    };
    const rows = await this.loadTests
      .find(query, HIDDEN)
      .sort({ createdAt: -1, _id: -1 })
      .skip(page.offset ?? 0)
      .limit(page.limit + 1)
      .toArray();
    return toPage(rows, page.limit, (t) => ({ k: t.createdAt, id: t.id }));
  }

  async updateLoadTest(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined> {
    return this.withLock(`load-test:${id}`, async () => {
      const { matchedCount } = await this.loadTests.updateOne({ _id: id }, { $set: changes });
      return matchedCount === 0 ? undefined : this.getLoadTest(id);
    });
  }

  async deleteLoadTest(id: string): Promise<boolean> {
    // Under the test's lock, so a revision or run added at the same moment is not left behind.
    return this.withLock(`load-test:${id}`, async () => {
      const { deletedCount } = await this.loadTests.deleteOne({ _id: id });
      await this.revisions.deleteMany({ loadTestId: id });
      await this.runs.deleteMany({ loadTestId: id });
      await this.metrics.deleteMany({ loadTestId: id });
      await this.runStats.deleteMany({ loadTestId: id });
      return deletedCount > 0;
    });
  }

  async addScriptRevision(revision: NewScriptRevision): Promise<ScriptRevision | undefined> {
    return this.withLock(`load-test:${revision.loadTestId}`, async () => {
      const test = await this.loadTests.findOne({ _id: revision.loadTestId });
      if (test === null) return undefined;
      const top = await this.revisions.findOne(
        { loadTestId: revision.loadTestId },
        { sort: { revisionNumber: -1 }, projection: { revisionNumber: 1 } },
      );
      const row: ScriptRevision = { ...revision, revisionNumber: (top?.revisionNumber ?? 0) + 1 };
      await this.revisions.insertOne({ _id: row.id, ...row });
      await this.loadTests.updateOne(
        { _id: row.loadTestId },
        {
          $set: {
            latestRevisionId: row.id,
            latestRevisionNumber: row.revisionNumber,
            updatedAt: row.createdAt,
            updatedBy: row.createdBy,
          },
        },
      );
      return row;
    });
  }

  async getScriptRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined> {
    return (await this.revisions.findOne({ _id: revisionId, loadTestId }, HIDDEN)) ?? undefined;
  }

  async listScriptRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>> {
    checkPaging(page);
    const before = page.cursor !== undefined ? decodeCursor(page.cursor).k : undefined;
    const rows = await this.revisions
      .find({ loadTestId, ...(before !== undefined ? { revisionNumber: { $lt: before } } : {}) }, HIDDEN)
      .sort({ revisionNumber: -1 })
      .skip(page.offset ?? 0)
      .limit(page.limit + 1)
      .toArray();
    return toPage(rows, page.limit, (r) => ({ k: r.revisionNumber, id: r.id }));
  }

  async createRun(run: LoadTestRun): Promise<boolean> {
    return this.withLock(`load-test:${run.loadTestId}`, async () => {
      const test = await this.loadTests.findOne({ _id: run.loadTestId }, { projection: { recentRuns: 1 } });
      if (test === null) return false;
      await this.runs.insertOne({ _id: run.id, ...run });
      await this.loadTests.updateOne(
        { _id: run.loadTestId },
        { $set: { recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(run)) } },
      );
      return true;
    });
  }

  async getRun(id: string): Promise<LoadTestRun | undefined> {
    return (await this.runs.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
    checkPaging(page);
    const rows = await this.runs
      .find({ ...defined(filter), ...cursorFilter(page.cursor) }, HIDDEN)
      .sort({ createdAt: -1, _id: -1 })
      .skip(page.offset ?? 0)
      .limit(page.limit + 1)
      .toArray();
    return toPage(rows, page.limit, (r) => ({ k: r.createdAt, id: r.id }));
  }

  async countRunsByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = await this.runs
      .aggregate<{ _id: RunStatus; n: number }>([{ $group: { _id: "$status", n: { $sum: 1 } } }])
      .toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async countActiveRuns(loadTestId: string): Promise<number> {
    return this.runs.countDocuments({ loadTestId, status: { $in: [...ACTIVE_STATUSES] } });
  }

  async transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
    const run = await this.withLock(`run:${id}`, async () => {
      const current = await this.runs.findOne({ _id: id });
      if (current === null || !predecessorsOf(to).includes(current.status)) return undefined;
      await this.runs.updateOne({ _id: id }, { $set: { ...changes, status: to } });
      return withoutId({ ...current, ...changes, status: to });
    });
    if (run === undefined) return undefined;
    await this.withLock(`load-test:${run.loadTestId}`, async () => {
      const test = await this.loadTests.findOne({ _id: run.loadTestId }, { projection: { recentRuns: 1 } });
      // Read the run again inside the test's lock: a later transition may already have been written.
      const latest = await this.getRun(id);
      if (test === null || latest === undefined) return;
      await this.loadTests.updateOne(
        { _id: run.loadTestId },
        { $set: { recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(latest)) } },
      );
    });
    return run;
  }

  /** No pre-merged blocks here (yet): any group size costs the same read. */
  chartGroupSeqs(wanted: number): number {
    return wanted;
  }

  async markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    // Under the run's lock, as transitionRun reads and writes it.
    return this.withLock(`run:${id}`, async () => {
      // (No projection: FerretDB's findAndModify does not take one.)
      const run = await this.runs.findOneAndUpdate(
        { _id: id, status: "Pending", launchedAt: null },
        { $set: changes },
        { returnDocument: "after" },
      );
      return withoutId(run);
    });
  }

  async listActiveRuns(): Promise<LoadTestRun[]> {
    return this.runs
      .find({ status: { $in: [...ACTIVE_STATUSES] } }, HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
  }

  async addMetricSnapshot(snapshot: MetricSnapshot, summary: RunMetricsSummary): Promise<"added" | "duplicate"> {
    if ((await this.storeSnapshot(snapshot)) === "duplicate") return "duplicate";
    // One conditional update, no lock: a late, older snapshot never moves lastMetrics back.
    await this.runs.updateOne(
      { _id: snapshot.runId, $or: [{ lastMetrics: null }, { "lastMetrics.timestamp": { $lte: summary.timestamp } }] },
      { $set: { lastMetrics: summary } },
    );
    return "added";
  }

  private windowFilter(runId: string, window: SnapshotWindow): Filter<SnapshotDoc> {
    const timestamp = defined({ $gte: window.from, $lte: window.to });
    return {
      loadTestRunId: runId,
      ...(Object.keys(timestamp).length > 0 ? { timestamp } : {}),
      ...(window.afterSeq !== undefined || window.throughSeq !== undefined
        ? { seq: defined({ $gt: window.afterSeq, $lte: window.throughSeq }) }
        : {}),
    };
  }

  async countMetricSnapshots(runId: string, window: SnapshotWindow = {}): Promise<number> {
    return this.metrics.countDocuments(this.windowFilter(runId, window));
  }

  async listMetricSnapshots(runId: string, window: SnapshotWindow = {}, limit?: number): Promise<MetricSnapshot[]> {
    const rows = await this.metrics
      .find(this.windowFilter(runId, window), { promoteBuffers: true })
      .sort({ seq: 1 })
      .limit(limit ?? 0) // 0 is no limit
      .toArray();
    return rows.map((row) => snapshotFromRecord(row));
  }

  async listSnapshotPoints(
    runId: string,
    window: SnapshotWindow = {},
    groupSeqs = 1,
    limit?: number,
  ): Promise<SnapshotPoint[]> {
    const points = await this.metrics
      .find(this.windowFilter(runId, window), {
        promoteBuffers: true,
        projection: {
          _id: 0,
          seq: 1,
          timestamp: 1,
          intervalMs: 1,
          users: 1,
          requests: 1,
          failures: 1,
          sumResponseMs: 1,
          minResponseMs: 1,
          maxResponseMs: 1,
          histogram: 1,
        },
      })
      .sort({ seq: 1 })
      .limit(limit ?? 0) // 0 is no limit
      .toArray();
    return groupBySeq(points, groupSeqs);
  }

  /**
   * The run's kept stats with the snapshots stored since they were last written merged in; when a
   * batch or more was pending, written back (only if nobody wrote them meanwhile: no lock).
   */
  async getRunStats(runId: string): Promise<WindowStatsRecord | undefined> {
    const doc = await this.runStats.findOne({ _id: runId });
    const kept = doc === null ? undefined : (JSON.parse(doc.stats) as WindowStatsRecord);
    const pending = await this.metrics
      .find({ loadTestRunId: runId, seq: { $gt: kept?.lastSeq ?? 0 } }, { promoteBuffers: true })
      .sort({ seq: 1 })
      .toArray();
    if (pending.length === 0) return kept;
    const stats = kept === undefined ? new WindowStats() : WindowStats.fromRecord(kept);
    for (const record of pending) stats.addSnapshot(snapshotFromRecord(record));
    const merged = stats.toRecord();
    if (pending.length >= MERGE_BATCH) {
      const next = { loadTestId: pending[0]?.loadTestId ?? "", stats: JSON.stringify(merged) };
      try {
        if (doc === null) await this.runStats.insertOne({ _id: runId, ...next });
        else await this.runStats.replaceOne({ _id: runId, stats: doc.stats }, next);
      } catch (error) {
        // Another reader wrote them first; what it wrote is as good.
        if (!isDuplicateKey(error)) throw error;
      }
    }
    return merged;
  }

  /** Runs `section` while holding the named lock (a document whose unique `_id` only one writer can insert). */
  private async withLock<T>(name: string, section: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.locks.insertOne({ _id: name, owner, expiresAt: Date.now() + LOCK_LEASE_MS });
        break;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        await this.locks.deleteOne({ _id: name, expiresAt: { $lt: Date.now() } });
        if (Date.now() > deadline) throw new Error(`lock ${name} still held after ${LOCK_WAIT_MS} ms`);
        await backoff(attempt);
      }
    }
    try {
      return await section();
    } finally {
      await this.locks.deleteOne({ _id: name, owner });
    }
  }
}
