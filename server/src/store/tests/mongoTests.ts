import { Binary, type Collection, type Db, type Filter } from "mongodb";
import {
  DEFAULT_AUTO_STOP,
  DEFAULT_REGRESSION_RULE,
  MAX_RECENT_RUNS,
  type LoadTest,
  type LoadTestFilter,
  type Page,
  type ScopeCount,
  type ScriptRevision,
} from "@loadmgr/shared";
import { defined, ensureIndexes } from "../../db/mongoShared.js";
import { toRecentRun } from "../runs/recentRuns.js";
import { checkPaging, decodeCursor, toPage } from "../cursor.js";
import { addWindowSec, HIDDEN, cursorFilter, type MongoLocks } from "../mongo/mongoDocs.js";
import type { PageRequest } from "../paging.js";
import { joinScopeCounts } from "../scopeCounts.js";
import { runsCollection } from "../runs/mongoCollections.js";
import { schedulesCollection } from "../schedules/mongoCollections.js";
import {
  type FileContent,
  type LoadTestChanges,
  type NewScriptRevision,
  type TestRepository,
} from "./testRepository.js";
import {
  loadTestsCollection,
  revisionsCollection,
  filesCollection,
  type LoadTestDoc,
  type RevisionDoc,
  type FileDoc,
} from "./mongoCollections.js";

export class MongoTests implements TestRepository {
  private readonly loadTests: Collection<LoadTestDoc>;
  private readonly revisions: Collection<RevisionDoc>;
  private readonly files: Collection<FileDoc>;
  private readonly runs: ReturnType<typeof runsCollection>;
  private readonly schedules: ReturnType<typeof schedulesCollection>;

  constructor(
    db: Db,
    private readonly locks: MongoLocks,
  ) {
    this.loadTests = loadTestsCollection(db);
    this.revisions = revisionsCollection(db);
    this.files = filesCollection(db);
    this.runs = runsCollection(db);
    this.schedules = schedulesCollection(db);
  }

  /** Indexes, and tests and revisions stored by earlier versions brought up to date (after the runs'). */
  async init(): Promise<void> {
    await ensureIndexes(this.loadTests, [
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, createdAt: -1 }, name: "scope_idx" },
      { key: { tags: 1 }, name: "tags_idx" },
    ]);
    await ensureIndexes(this.revisions, [
      { key: { loadTestId: 1, revisionNumber: -1 }, name: "number_idx", unique: true },
    ]);
    // Tests stored before thresholds, auto-stop, agent pools, projects, allowed hosts and baselines.
    await this.loadTests.updateMany({ thresholds: { $exists: false } }, { $set: { thresholds: [] } });
    await this.loadTests.updateMany({ autoStop: { $exists: false } }, { $set: { autoStop: DEFAULT_AUTO_STOP } });
    await this.loadTests.updateMany(
      { agentPool: { $exists: false } },
      { $set: { agentPool: null, defaultWorkers: null } },
    );
    await this.loadTests.updateMany(
      { env: { $exists: false } },
      { $set: { env: {}, secrets: [], defaultStages: null } },
    );
    await this.revisions.updateMany({ files: { $exists: false } }, { $set: { files: [] } });
    await this.loadTests.updateMany({ allowedHosts: { $exists: false } }, { $set: { allowedHosts: [] } });
    await this.loadTests.updateMany(
      { failOnRegression: { $exists: false } },
      { $set: { failOnRegression: false, regressionRule: DEFAULT_REGRESSION_RULE } },
    );
    await addWindowSec(this.loadTests, "autoStop");
    // Recent runs listed before a run's duration was durationSec: listed again from the runs (whose
    // upgrade ran first).
    const unrenamed = await this.loadTests
      .find(
        { "recentRuns.0": { $exists: true }, "recentRuns.0.durationSec": { $exists: false } },
        { projection: { _id: 1 } },
      )
      .toArray();
    for (const { _id } of unrenamed) {
      const runs = await this.runs.find({ loadTestId: _id }, HIDDEN).sort({ createdAt: -1, _id: -1 }).toArray();
      await this.loadTests.updateOne(
        { _id },
        { $set: { recentRuns: runs.slice(0, MAX_RECENT_RUNS).map(toRecentRun) } },
      );
    }
    // Tests stored before runs had numbers: their runs are numbered by creation, and their recent
    // runs listed again with the fields entries have now.
    const unnumbered = await this.loadTests
      .find({ runCount: { $exists: false } }, { projection: { _id: 1 } })
      .toArray();
    for (const { _id } of unnumbered) {
      const runs = await this.runs.find({ loadTestId: _id }, HIDDEN).sort({ createdAt: 1, _id: 1 }).toArray();
      for (const [i, run] of runs.entries()) await this.runs.updateOne({ _id: run.id }, { $set: { number: i + 1 } });
      const recent = runs
        .map((run, i) => toRecentRun({ ...run, number: i + 1 }))
        .reverse()
        .slice(0, MAX_RECENT_RUNS);
      await this.loadTests.updateOne({ _id }, { $set: { runCount: runs.length, recentRuns: recent } });
    }
  }

  private async insertFiles(loadTestId: string, revisionId: string, files: FileContent[]): Promise<void> {
    // One at a time: a revision's files may hold 10 MiB, over a batch's size.
    for (const file of files) {
      await this.files.replaceOne(
        { _id: `${revisionId}/${file.path}` },
        { revisionId, loadTestId, path: file.path, content: new Binary(file.content) },
        { upsert: true },
      );
    }
  }

  async create(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void> {
    // The files and the revision first: a test never points at a revision that is not all there.
    await this.insertFiles(test.id, firstRevision.id, files);
    await this.revisions.insertOne({ _id: firstRevision.id, ...firstRevision });
    try {
      await this.loadTests.insertOne({ _id: test.id, ...test });
    } catch (error) {
      await this.revisions.deleteOne({ _id: firstRevision.id });
      await this.files.deleteMany({ loadTestId: test.id });
      throw error;
    }
  }

  async get(id: string): Promise<LoadTest | undefined> {
    return (await this.loadTests.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async list(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>> {
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

  async update(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined> {
    return this.locks.withLock(`load-test:${id}`, async () => {
      const { matchedCount } = await this.loadTests.updateOne({ _id: id }, { $set: changes });
      return matchedCount === 0 ? undefined : this.get(id);
    });
  }

  async delete(id: string): Promise<boolean> {
    // Under the test's lock, so a revision or run added at the same moment is not left behind.
    return this.locks.withLock(`load-test:${id}`, async () => {
      const { deletedCount } = await this.loadTests.deleteOne({ _id: id });
      await this.revisions.deleteMany({ loadTestId: id });
      await this.files.deleteMany({ loadTestId: id });
      await this.runs.deleteMany({ loadTestId: id });
      await this.schedules.deleteMany({ loadTestId: id });
      return deletedCount > 0;
    });
  }

  async addRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined> {
    return this.locks.withLock(`load-test:${revision.loadTestId}`, async () => {
      const test = await this.loadTests.findOne({ _id: revision.loadTestId });
      if (test === null) return undefined;
      await this.insertFiles(revision.loadTestId, revision.id, files);
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

  async getRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined> {
    return (await this.revisions.findOne({ _id: revisionId, loadTestId }, HIDDEN)) ?? undefined;
  }

  async getFiles(revisionId: string, paths?: string[]): Promise<FileContent[]> {
    let wanted = paths;
    if (wanted === undefined) {
      const revision = await this.revisions.findOne({ _id: revisionId }, { projection: { files: 1 } });
      wanted = (revision?.files ?? []).map((f) => f.path);
    }
    const out: FileContent[] = [];
    for (const path of [...wanted].sort()) {
      const doc = await this.files.findOne({ _id: `${revisionId}/${path}` });
      if (doc !== null) out.push({ path, content: Buffer.from(doc.content.buffer) });
    }
    return out;
  }

  async listRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>> {
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

  async countByScope(filter: Pick<LoadTestFilter, "accountId" | "orgId" | "projectId">): Promise<ScopeCount[]> {
    const match = defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId });
    const group = (collection: Collection<LoadTestDoc> | ReturnType<typeof runsCollection>) =>
      collection
        .aggregate<{ _id: Omit<ScopeCount, "tests" | "runs">; n: number }>([
          { $match: match },
          {
            $group: {
              _id: { accountId: "$accountId", orgId: "$orgId", projectId: "$projectId", envId: "$envId" },
              n: { $sum: 1 },
            },
          },
        ])
        .toArray()
        .then((rows) => rows.map((r) => ({ ...r._id, envId: r._id.envId ?? null, n: r.n })));
    return joinScopeCounts(await group(this.loadTests), await group(this.runs));
  }
}
