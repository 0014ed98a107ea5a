import { setTimeout as sleep } from "node:timers/promises";
import { MongoClient, MongoServerError, type Collection, type Db, type Filter, type Document } from "mongodb";
import {
  ACTIVE_STATUSES,
  predecessorsOf,
  type LoadTest,
  type LoadTestFilter,
  type LoadTestRun,
  type Page,
  type RunFilter,
  type RunStatus,
  type ScriptRevision,
} from "@loadmgr/shared";
import { checkPaging, decodeCursor, encodeCursor } from "../cursor.js";
import { mergeRecentRun, toRecentRun } from "../recentRuns.js";
import type { LoadTestChanges, NewScriptRevision, PageRequest, RunChanges, Store } from "../store.js";

/** Documents keep the entity's `id` as `_id` too; `_rv` versions recentRuns for optimistic updates. */
type LoadTestDoc = LoadTest & { _id: string; _rv: number };
type RevisionDoc = ScriptRevision & { _id: string };
type RunDoc = LoadTestRun & { _id: string };

const HIDDEN = { projection: { _id: 0, _rv: 0 } } as const;
const MAX_ATTEMPTS = 200;

const isDuplicateKey = (error: unknown): boolean => error instanceof MongoServerError && error.code === 11000;
const backoff = (attempt: number): Promise<void> => sleep(Math.min(20, 1 + attempt) * Math.random());

function cursorFilter(cursor: string | undefined): Document {
  if (cursor === undefined) return {};
  const key = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: key.k } }, { createdAt: key.k, _id: { $lt: key.id } }] };
}

function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => { k: number; id: string }): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items.at(-1) as T)) };
}

function defined<T extends object>(filter: T): Document {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
}

/**
 * The production store on the official MongoDB driver. It uses no multi-document transactions
 * (FerretDB 1.x has none): revision numbers come from a unique index with retry, recentRuns from a
 * versioned compare-and-set.
 */
export class MongoStore implements Store {
  readonly kind = "mongodb";
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly loadTests: Collection<LoadTestDoc>;
  private readonly revisions: Collection<RevisionDoc>;
  private readonly runs: Collection<RunDoc>;
  private readonly metrics: Collection<Document>;

  constructor(uri: string, database: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    this.db = this.client.db(database);
    this.loadTests = this.db.collection("load_tests");
    this.revisions = this.db.collection("script_revisions");
    this.runs = this.db.collection("load_test_runs");
    this.metrics = this.db.collection("metrics_timeseries");
  }

  async init(): Promise<void> {
    await this.client.connect();
    await this.loadTests.createIndexes([
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, createdAt: -1 }, name: "scope_idx" },
      { key: { tags: 1 }, name: "tags_idx" },
    ]);
    await this.revisions.createIndexes([
      { key: { loadTestId: 1, revisionNumber: -1 }, name: "number_idx", unique: true },
    ]);
    await this.runs.createIndexes([
      { key: { loadTestId: 1, createdAt: -1 }, name: "test_idx" },
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, status: 1, createdAt: -1 }, name: "scope_status_idx" },
      { key: { status: 1 }, name: "status_idx" },
    ]);
    await this.metrics.createIndexes([
      { key: { loadTestRunId: 1, seq: 1 }, name: "run_seq_idx", unique: true },
      { key: { loadTestRunId: 1, timestamp: 1 }, name: "run_time_idx" },
    ]);
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
      await this.loadTests.insertOne({ _id: test.id, ...test, _rv: 0 });
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
      ...defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId, envId: filter.envId }),
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
    return (
      (await this.loadTests.findOneAndUpdate(
        { _id: id },
        { $set: changes },
        { ...HIDDEN, returnDocument: "after" },
      )) ?? undefined
    );
  }

  async deleteLoadTest(id: string): Promise<boolean> {
    const { deletedCount } = await this.loadTests.deleteOne({ _id: id });
    await this.revisions.deleteMany({ loadTestId: id });
    await this.runs.deleteMany({ loadTestId: id });
    await this.metrics.deleteMany({ loadTestId: id });
    return deletedCount > 0;
  }

  async addScriptRevision(revision: NewScriptRevision): Promise<ScriptRevision | undefined> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const top = await this.revisions.findOne(
        { loadTestId: revision.loadTestId },
        { sort: { revisionNumber: -1 }, projection: { revisionNumber: 1 } },
      );
      if (top === null) return undefined;
      const row: ScriptRevision = { ...revision, revisionNumber: top.revisionNumber + 1 };
      try {
        await this.revisions.insertOne({ _id: row.id, ...row });
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        await backoff(attempt);
        continue;
      }
      // Only ever forward: a slower writer of an older number does not move latest back.
      await this.loadTests.updateOne(
        { _id: row.loadTestId, latestRevisionNumber: { $lt: row.revisionNumber } },
        {
          $set: {
            latestRevisionId: row.id,
            latestRevisionNumber: row.revisionNumber,
            updatedAt: row.createdAt,
            updatedBy: row.createdBy,
          },
        },
      );
      if ((await this.loadTests.countDocuments({ _id: row.loadTestId }, { limit: 1 })) === 0) {
        await this.revisions.deleteOne({ _id: row.id });
        return undefined;
      }
      return row;
    }
    throw new Error(`could not allocate a revision number for ${revision.loadTestId}`);
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
    await this.runs.insertOne({ _id: run.id, ...run });
    if (await this.refreshRecentRun(run.loadTestId, run.id)) return true;
    await this.runs.deleteOne({ _id: run.id });
    return false;
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

  async countActiveRuns(loadTestId: string): Promise<number> {
    return this.runs.countDocuments({ loadTestId, status: { $in: [...ACTIVE_STATUSES] } });
  }

  async transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
    const run = await this.runs.findOneAndUpdate(
      { _id: id, status: { $in: predecessorsOf(to) } },
      { $set: { ...changes, status: to } },
      { ...HIDDEN, returnDocument: "after" },
    );
    if (run === null) return undefined;
    await this.refreshRecentRun(run.loadTestId, run.id);
    return run;
  }

  /**
   * Writes the run's current state into its test's recentRuns with a compare-and-set on `_rv`.
   * The version is read before the run, so a lost race always retries with a newer run state.
   */
  private async refreshRecentRun(loadTestId: string, runId: string): Promise<boolean> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const test = await this.loadTests.findOne({ _id: loadTestId }, { projection: { recentRuns: 1, _rv: 1 } });
      if (test === null) return false;
      const run = await this.getRun(runId);
      if (run === undefined) return true;
      const { modifiedCount } = await this.loadTests.updateOne(
        { _id: loadTestId, _rv: test._rv },
        { $set: { recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(run)) }, $inc: { _rv: 1 } },
      );
      if (modifiedCount === 1) return true;
      await backoff(attempt);
    }
    throw new Error(`could not update recent runs of ${loadTestId}`);
  }
}
