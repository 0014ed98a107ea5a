import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { Binary, MongoClient, type Collection, type Db, type Document, type Filter } from "mongodb";
import {
  decideOutcome,
  ACTIVE_STATUSES,
  DEFAULT_AUTO_STOP,
  DEFAULT_REGRESSION_RULE,
  MAX_RECENT_RUNS,
  predecessorsOf,
  type LoadChange,
  type LoadTest,
  type LoadTestFilter,
  type ScopeCount,
  type LoadTestRun,
  type Page,
  type RunMetricsSummary,
  type RunFilter,
  type RunStatus,
  type ScriptRevision,
  type WebhookDelivery,
  type Schedule,
  type ScheduleTick,
  MAX_SCHEDULE_TICKS,
} from "@loadmgr/shared";
import { checkPaging, decodeCursor, toPage } from "../cursor.js";
import { defined, ensureIndexes, isDuplicateKey } from "./mongoShared.js";
import { mergeRecentRun, numberedRun, toRecentRun } from "../recentRuns.js";
import { joinScopeCounts } from "../scopeCounts.js";
import type {
  AgentPoolRecord,
  AgentRecord,
  FileContent,
  LaunchChanges,
  LoadTestChanges,
  NewScriptRevision,
  PageRequest,
  PoolRunChanges,
  RunChanges,
  ScopeFilter,
  SecretRecord,
  SecretScope,
  Store,
  ScheduleChanges,
  WebhookChanges,
  WebhookRecord,
} from "../store.js";
import { MAX_DELIVERY_LOG } from "../store.js";

/** Documents keep the entity's `id` as `_id` too. */
type LoadTestDoc = LoadTest & { _id: string };
type RevisionDoc = ScriptRevision & { _id: string };
type RunDoc = LoadTestRun & { _id: string };
type PoolDoc = AgentPoolRecord & { _id: string };
type AgentDoc = AgentRecord & { _id: string };
/** A revision's file: `_id` is "<revisionId>/<path>" (FerretDB pushes down only `_id` equality). */
interface FileDoc {
  _id: string;
  revisionId: string;
  loadTestId: string;
  path: string;
  content: Binary;
}
/** `_id` is the scope and name, JSON-encoded: one secret per scope and name. */
type SecretDoc = Omit<SecretRecord, "envId"> & { _id: string; envId: string | null };
type WebhookDoc = WebhookRecord & { _id: string };
type DeliveryDoc = WebhookDelivery & { _id: string };
type ScheduleDoc = Schedule & { _id: string };
interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: number;
}

const HIDDEN = { projection: { _id: 0 } } as const;
/** A lock holder that died is taken over after this long; every locked section is a few queries. */
const LOCK_LEASE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

const backoff = (attempt: number): Promise<void> => sleep(Math.min(20, 1 + attempt) * Math.random());

function withoutId<T extends { _id: string }>(doc: T | null): Omit<T, "_id"> | undefined {
  if (doc === null) return undefined;
  const { _id, ...rest } = doc;
  return rest;
}

function cursorFilter(cursor: string | undefined): Document {
  if (cursor === undefined) return {};
  const key = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: key.k } }, { createdAt: key.k, _id: { $lt: key.id } }] };
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
  private readonly locks: Collection<LockDoc>;
  private readonly pools: Collection<PoolDoc>;
  private readonly agents: Collection<AgentDoc>;
  private readonly files: Collection<FileDoc>;
  private readonly secrets: Collection<SecretDoc>;
  private readonly webhooks: Collection<WebhookDoc>;
  private readonly deliveries: Collection<DeliveryDoc>;
  private readonly schedules: Collection<ScheduleDoc>;

  constructor(uri: string, database: string) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    this.db = this.client.db(database);
    this.loadTests = this.db.collection("load_tests");
    this.revisions = this.db.collection("script_revisions");
    this.runs = this.db.collection("load_test_runs");
    this.locks = this.db.collection("locks");
    this.pools = this.db.collection("agent_pools");
    this.agents = this.db.collection("agents");
    this.files = this.db.collection("script_files");
    this.secrets = this.db.collection("secrets");
    this.webhooks = this.db.collection("webhooks");
    this.deliveries = this.db.collection("webhook_deliveries");
    this.schedules = this.db.collection("schedules");
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
    // Runs stored before thresholds existed.
    await this.runs.updateMany({ thresholds: { $exists: false } }, { $set: { thresholds: [], verdict: null } });
    await this.runs.updateMany({ launchedAt: { $exists: false } }, { $set: { launchedAt: null } });
    await this.runs.updateMany({ results: { $exists: false } }, { $set: { results: null } });
    await this.loadTests.updateMany({ thresholds: { $exists: false } }, { $set: { thresholds: [] } });
    await this.loadTests.updateMany({ autoStop: { $exists: false } }, { $set: { autoStop: DEFAULT_AUTO_STOP } });
    await this.runs.updateMany({ autoStop: { $exists: false } }, { $set: { autoStop: null } });
    await this.runs.updateMany({ regions: { $exists: false } }, { $set: { regions: [] } });
    await ensureIndexes(this.agents, [{ key: { poolId: 1, name: 1 }, name: "pool_name_idx", unique: true }]);
    await ensureIndexes(this.webhooks, [{ key: { accountId: 1, orgId: 1, projectId: 1 }, name: "scope_idx" }]);
    await ensureIndexes(this.deliveries, [{ key: { webhookId: 1, at: -1, _id: -1 }, name: "hook_idx" }]);
    await ensureIndexes(this.schedules, [{ key: { loadTestId: 1, createdAt: 1 }, name: "test_idx" }]);
    // Runs and tests stored before agent pools.
    await this.runs.updateMany(
      { placement: { $exists: false } },
      {
        $set: {
          agentPool: null,
          workers: null,
          minWorkers: null,
          labels: {},
          placement: [],
          masterEndpoint: null,
          waitingReason: null,
          warnings: [],
        },
      },
    );
    await this.loadTests.updateMany(
      { agentPool: { $exists: false } },
      { $set: { agentPool: null, defaultWorkers: null } },
    );
    // Tests, revisions and runs stored before tests were projects (files, parameters, stages).
    await this.loadTests.updateMany(
      { env: { $exists: false } },
      { $set: { env: {}, secrets: [], defaultStages: null } },
    );
    await this.revisions.updateMany({ files: { $exists: false } }, { $set: { files: [] } });
    // Tests stored before runs had a network of their own.
    await this.loadTests.updateMany({ allowedHosts: { $exists: false } }, { $set: { allowedHosts: [] } });
    const older = await this.runs
      .find({ env: { $exists: false } }, { projection: { _id: 1, loadTestId: 1 } })
      .toArray();
    for (const { _id, loadTestId } of older) {
      const test = await this.loadTests.findOne({ _id: loadTestId }, { projection: { targetUrl: 1, tags: 1 } });
      await this.runs.updateOne(
        { _id },
        {
          $set: {
            targetUrl: test?.targetUrl ?? "",
            tags: test?.tags ?? [],
            env: {},
            secrets: [],
            stages: null,
            shapeNote: null,
          },
        },
      );
    }
    // Runs that ended before runs had an outcome: decided now, as at their end.
    const undecided = await this.runs
      .find(
        // (Runs from before results were kept cannot be judged: theirs stays null.)
        { outcome: { $exists: false }, status: { $in: ["Finished", "Stopped", "Failed"] }, results: { $ne: null } },
        { projection: { _id: 1, status: 1, results: 1, verdict: 1 } },
      )
      .toArray();
    for (const run of undecided) {
      await this.runs.updateOne({ _id: run._id }, { $set: { outcome: decideOutcome(run) } });
    }
    await this.runs.updateMany({ outcome: { $exists: false } }, { $set: { outcome: null } });
    await this.runs.updateMany({ loadChanges: { $exists: false } }, { $set: { loadChanges: [] } });
    // Tests, runs and verdicts stored before baselines, triggers and aborting thresholds.
    await this.loadTests.updateMany(
      { failOnRegression: { $exists: false } },
      { $set: { failOnRegression: false, regressionRule: DEFAULT_REGRESSION_RULE } },
    );
    await this.runs.updateMany(
      { baseline: { $exists: false } },
      { $set: { baseline: false, trigger: { type: "api", scheduleId: null } } },
    );
    await this.runs.updateMany(
      { verdict: { $ne: null }, "verdict.aborted": { $exists: false } },
      {
        $set: {
          "verdict.aborted": false,
          "verdict.abortedBy": null,
          "verdict.baselineRunId": null,
          "verdict.regressions": [],
        },
      },
    );
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

  async close(): Promise<void> {
    await this.client.close();
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  async createLoadTest(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void> {
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

  async getScriptFiles(revisionId: string, paths?: string[]): Promise<FileContent[]> {
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
      await this.files.deleteMany({ loadTestId: id });
      await this.runs.deleteMany({ loadTestId: id });
      await this.schedules.deleteMany({ loadTestId: id });
      return deletedCount > 0;
    });
  }

  async addScriptRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined> {
    return this.withLock(`load-test:${revision.loadTestId}`, async () => {
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

  async createRun(run: LoadTestRun): Promise<LoadTestRun | undefined> {
    // Under the test's lock, as revisions are: numbers are gapless and never reused.
    return this.withLock(`load-test:${run.loadTestId}`, async () => {
      const test = await this.loadTests.findOne(
        { _id: run.loadTestId },
        { projection: { recentRuns: 1, runCount: 1 } },
      );
      if (test === null) return undefined;
      const stored = numberedRun(run, test.runCount + 1);
      await this.runs.insertOne({ _id: stored.id, ...stored });
      await this.loadTests.updateOne(
        { _id: run.loadTestId },
        { $set: { recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(stored)), runCount: stored.number } },
      );
      return stored;
    });
  }

  async getRun(id: string): Promise<LoadTestRun | undefined> {
    return (await this.runs.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
    checkPaging(page);
    const rows = await this.runs
      .find(
        {
          ...defined({ ...filter, tag: undefined, createdFrom: undefined }),
          ...(filter.tag !== undefined ? { tags: filter.tag } : {}),
          ...(filter.createdFrom !== undefined ? { createdAt: { $gte: filter.createdFrom } } : {}),
          ...cursorFilter(page.cursor),
        },
        HIDDEN,
      )
      .sort({ createdAt: -1, _id: -1 })
      .skip(page.offset ?? 0)
      .limit(page.limit + 1)
      .toArray();
    return toPage(rows, page.limit, (r) => ({ k: r.createdAt, id: r.id }));
  }

  async setRunBaseline(
    id: string,
    on: boolean,
    changes: Pick<LoadTestRun, "updatedAt" | "updatedBy">,
  ): Promise<LoadTestRun | undefined> {
    const run = await this.getRun(id);
    if (run === undefined) return undefined;
    // Under the test's lock: two callers never leave two baselines in one env.
    return this.withLock(`load-test:${run.loadTestId}:baseline`, async () => {
      if (on) {
        await this.runs.updateMany(
          { loadTestId: run.loadTestId, envId: run.envId, baseline: true, _id: { $ne: id } },
          { $set: { baseline: false, ...changes } },
        );
      }
      await this.runs.updateOne({ _id: id }, { $set: { baseline: on, ...changes } });
      return this.getRun(id);
    });
  }

  async findBaselineRun(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined> {
    return (await this.runs.findOne({ loadTestId, envId, baseline: true }, HIDDEN)) ?? undefined;
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

  async markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    return this.updateUnlaunched(id, changes);
  }

  /** Applies `changes` to a run that is Pending and not launched, under the run's lock (transitionRun reads and writes it under it). */
  private updateUnlaunched(id: string, changes: Partial<LoadTestRun>): Promise<LoadTestRun | undefined> {
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

  async countByScope(filter: Pick<LoadTestFilter, "accountId" | "orgId" | "projectId">): Promise<ScopeCount[]> {
    const match = defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId });
    const group = (collection: Collection<LoadTestDoc> | Collection<RunDoc>) =>
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

  async addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined> {
    // Under the run's lock, as transitionRun reads and writes it: a run that just ended takes none.
    return this.withLock(`run:${runId}`, async () => {
      const run = await this.runs.findOneAndUpdate(
        { _id: runId, status: "Running" },
        { $push: { loadChanges: change } },
        { returnDocument: "after" },
      );
      return withoutId(run);
    });
  }

  async setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void> {
    // One conditional update, no lock: a late, older snapshot (or one resent) never moves lastMetrics.
    await this.runs.updateOne(
      { _id: runId, $or: [{ lastMetrics: null }, { "lastMetrics.seq": { $lt: summary.seq } }] },
      { $set: { lastMetrics: summary } },
    );
  }

  async updatePoolRun(id: string, changes: PoolRunChanges, unlaunched: boolean): Promise<LoadTestRun | undefined> {
    // Under the run's lock, as transitionRun reads and writes it.
    return this.withLock(`run:${id}`, async () => {
      const run = await this.runs.findOneAndUpdate(
        unlaunched
          ? { _id: id, status: "Pending", launchedAt: null }
          : { _id: id, status: { $in: [...ACTIVE_STATUSES] } },
        { $set: changes },
        { returnDocument: "after" },
      );
      return withoutId(run);
    });
  }

  async placePoolRun(
    id: string,
    poolId: string,
    decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
  ): Promise<LoadTestRun | undefined> {
    // The pool's lock makes placements one at a time across server processes; the run's lock, taken
    // inside it (never the other way round), keeps its status from moving between the check and the write.
    return this.withLock(`pool:${poolId}`, async () => {
      const poolRuns = await this.runs
        .find({ agentPool: poolId, status: { $in: [...ACTIVE_STATUSES] } }, HIDDEN)
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      const changes = decide(poolRuns);
      return changes === undefined ? undefined : this.updateUnlaunched(id, changes);
    });
  }

  async createAgentPool(pool: AgentPoolRecord): Promise<void> {
    await this.pools.insertOne({ _id: pool.id, ...pool });
  }

  async getAgentPool(id: string): Promise<AgentPoolRecord | undefined> {
    return (await this.pools.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listAgentPools(filter: ScopeFilter): Promise<AgentPoolRecord[]> {
    return this.pools
      .find(defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId }), HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async setAgentPoolToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash: string | null = null,
  ): Promise<AgentPoolRecord | undefined> {
    const pool = await this.pools.findOneAndUpdate(
      { _id: id },
      { $set: { tokenHash, retiredTokenHash, tokenRotatedAt: at } },
      { returnDocument: "after" },
    );
    return withoutId(pool);
  }

  async saveAgent(agent: AgentRecord): Promise<void> {
    await this.agents.replaceOne({ _id: agent.id }, agent, { upsert: true });
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    return (await this.agents.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async findAgent(poolId: string, name: string): Promise<AgentRecord | undefined> {
    return (await this.agents.findOne({ poolId, name }, HIDDEN)) ?? undefined;
  }

  async deleteAgent(id: string): Promise<boolean> {
    return (await this.agents.deleteOne({ _id: id })).deletedCount > 0;
  }

  async deleteAgentPool(id: string): Promise<boolean> {
    await this.agents.deleteMany({ poolId: id });
    return (await this.pools.deleteOne({ _id: id })).deletedCount > 0;
  }

  async listAgents(poolIds: string[]): Promise<AgentRecord[]> {
    if (poolIds.length === 0) return [];
    return this.agents
      .find({ poolId: { $in: poolIds } }, HIDDEN)
      .sort({ poolId: 1, name: 1 })
      .toArray();
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

  async putSecret(secret: SecretRecord): Promise<boolean> {
    const _id = secretId(secret, secret.envId, secret.name);
    try {
      await this.secrets.insertOne({ _id, ...secret });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    await this.secrets.updateOne(
      { _id },
      { $set: { ciphertext: secret.ciphertext, updatedAt: secret.updatedAt, updatedBy: secret.updatedBy } },
    );
    return false;
  }

  async listSecrets(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]> {
    const rows = await this.secrets
      .find(
        {
          accountId: scope.accountId,
          orgId: scope.orgId,
          projectId: scope.projectId,
          ...(envId === undefined ? {} : { envId: { $in: envId === null ? [null] : [null, envId] } }),
        },
        HIDDEN,
      )
      .limit(10_000)
      .toArray();
    return rows.sort((a, b) =>
      a.name === b.name ? (a.envId ?? "").localeCompare(b.envId ?? "") : a.name < b.name ? -1 : 1,
    );
  }

  async deleteSecret(scope: SecretScope, envId: string | null, name: string): Promise<boolean> {
    const { deletedCount } = await this.secrets.deleteOne({ _id: secretId(scope, envId, name) });
    return deletedCount > 0;
  }

  async createWebhook(webhook: WebhookRecord): Promise<void> {
    await this.webhooks.insertOne({ _id: webhook.id, ...webhook });
  }

  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    return (await this.webhooks.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listWebhooks(filter: ScopeFilter): Promise<WebhookRecord[]> {
    return this.webhooks
      .find(defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId }), HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async updateWebhook(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined> {
    // (No projection: FerretDB's findAndModify does not take one.)
    const updated = await this.webhooks.findOneAndUpdate({ _id: id }, { $set: changes }, { returnDocument: "after" });
    return withoutId(updated);
  }

  async deleteWebhook(id: string): Promise<boolean> {
    const { deletedCount } = await this.webhooks.deleteOne({ _id: id });
    await this.deliveries.deleteMany({ webhookId: id });
    return deletedCount > 0;
  }

  async addWebhookDelivery(delivery: WebhookDelivery): Promise<void> {
    await this.deliveries.insertOne({ _id: delivery.id, ...delivery });
    const oldest = await this.deliveries
      .find({ webhookId: delivery.webhookId }, { projection: { at: 1 } })
      .sort({ at: -1, _id: -1 })
      .skip(MAX_DELIVERY_LOG - 1)
      .limit(1)
      .toArray();
    const edge = oldest[0];
    if (edge === undefined) return;
    await this.deliveries.deleteMany({
      webhookId: delivery.webhookId,
      $or: [{ at: { $lt: edge.at } }, { at: edge.at, _id: { $lt: edge._id } }],
    });
  }

  async listWebhookDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.deliveries.find({ webhookId }, HIDDEN).sort({ at: -1, _id: -1 }).limit(limit).toArray();
  }

  async createSchedule(schedule: Schedule): Promise<void> {
    await this.schedules.insertOne({ _id: schedule.id, ...schedule });
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    return (await this.schedules.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async listSchedules(loadTestId?: string): Promise<Schedule[]> {
    return this.schedules
      .find(loadTestId !== undefined ? { loadTestId } : {}, HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async updateSchedule(id: string, changes: ScheduleChanges): Promise<Schedule | undefined> {
    return this.withLock(`schedule:${id}`, async () => {
      const updated = await this.schedules.findOneAndUpdate(
        { _id: id },
        { $set: changes },
        { returnDocument: "after" },
      );
      return withoutId(updated);
    });
  }

  async deleteSchedule(id: string): Promise<boolean> {
    const { deletedCount } = await this.schedules.deleteOne({ _id: id });
    return deletedCount > 0;
  }

  async recordScheduleTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined> {
    // Read-modify-write under the schedule's lock (FerretDB has no atomic $push with $slice on every backend).
    return this.withLock(`schedule:${id}`, async () => {
      const current = await this.schedules.findOne({ _id: id }, { projection: { ticks: 1 } });
      if (current === null) return undefined;
      const ticks = [tick, ...current.ticks].slice(0, MAX_SCHEDULE_TICKS);
      const updated = await this.schedules.findOneAndUpdate(
        { _id: id },
        { $set: { ticks, nextRunAt } },
        { returnDocument: "after" },
      );
      return withoutId(updated);
    });
  }
}

function secretId(scope: SecretScope, envId: string | null, name: string): string {
  return JSON.stringify([scope.accountId, scope.orgId, scope.projectId, envId ?? "", name]);
}
