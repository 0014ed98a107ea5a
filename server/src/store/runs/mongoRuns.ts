import type { Collection, Db } from "mongodb";
import {
  ACTIVE_STATUSES,
  decideOutcome,
  predecessorsOf,
  type LoadChange,
  type LoadTestRun,
  type Page,
  type RunMetricsSummary,
  type RunFilter,
  type RunStatus,
} from "@loadmgr/shared";
import { defined, ensureIndexes } from "../../db/mongoShared.js";
import { checkPaging, toPage } from "../cursor.js";
import { addWindowSec, HIDDEN, withoutId, cursorFilter, type MongoLocks } from "../mongo/mongoDocs.js";
import type { PageRequest } from "../paging.js";
import { mergeRecentRun, numberedRun, toRecentRun } from "./recentRuns.js";
import { loadTestsCollection } from "../tests/mongoCollections.js";
import { type LaunchChanges, type PoolRunChanges, type RunChanges, type RunRepository } from "./runRepository.js";
import { runsCollection, type RunDoc } from "./mongoCollections.js";

export class MongoRuns implements RunRepository {
  private readonly loadTests: ReturnType<typeof loadTestsCollection>;
  private readonly runs: Collection<RunDoc>;

  constructor(
    db: Db,
    private readonly locks: MongoLocks,
  ) {
    this.loadTests = loadTestsCollection(db);
    this.runs = runsCollection(db);
  }

  /** Indexes, and runs stored by earlier versions brought up to date. */
  async init(): Promise<void> {
    await ensureIndexes(this.runs, [
      { key: { loadTestId: 1, createdAt: -1 }, name: "test_idx" },
      { key: { createdAt: -1, _id: -1 }, name: "created_idx" },
      { key: { accountId: 1, orgId: 1, projectId: 1, status: 1, createdAt: -1 }, name: "scope_status_idx" },
      { key: { status: 1 }, name: "status_idx" },
    ]);
    // Runs stored before thresholds, launches, results, auto-stop and regions.
    await this.runs.updateMany({ thresholds: { $exists: false } }, { $set: { thresholds: [], verdict: null } });
    await this.runs.updateMany({ launchedAt: { $exists: false } }, { $set: { launchedAt: null } });
    await this.runs.updateMany({ results: { $exists: false } }, { $set: { results: null } });
    await this.runs.updateMany({ autoStop: { $exists: false } }, { $set: { autoStop: null } });
    await this.runs.updateMany({ regions: { $exists: false } }, { $set: { regions: [] } });
    // Runs stored before a run's duration was durationSec and an autoStop's window windowSec (the old
    // names are kept beside them, deprecated).
    const unrenamed = await this.runs
      .find({ durationSec: { $exists: false } }, { projection: { _id: 1, durationSeconds: 1 } })
      .toArray();
    for (const { _id, durationSeconds } of unrenamed) {
      await this.runs.updateOne({ _id }, { $set: { durationSec: durationSeconds } });
    }
    await addWindowSec(this.runs, "autoStop");
    // Runs stored before agent pools.
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
    // Runs stored before tests were projects (files, parameters, stages): their test's target and tags.
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
    // Runs and verdicts stored before baselines, triggers and aborting thresholds.
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
  }

  /** Applies `changes` to a run that is Pending and not launched, under the run's lock (transitionRun reads and writes it under it). */
  private updateUnlaunched(id: string, changes: Partial<LoadTestRun>): Promise<LoadTestRun | undefined> {
    return this.locks.withLock(`run:${id}`, async () => {
      // (No projection: FerretDB's findAndModify does not take one.)
      const run = await this.runs.findOneAndUpdate(
        { _id: id, status: "Pending", launchedAt: null },
        { $set: changes },
        { returnDocument: "after" },
      );
      return withoutId(run);
    });
  }

  async create(run: LoadTestRun): Promise<LoadTestRun | undefined> {
    // Under the test's lock, as revisions are: numbers are gapless and never reused.
    return this.locks.withLock(`load-test:${run.loadTestId}`, async () => {
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

  async get(id: string): Promise<LoadTestRun | undefined> {
    return (await this.runs.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async list(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
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

  async countActive(loadTestId: string): Promise<number> {
    return this.runs.countDocuments({ loadTestId, status: { $in: [...ACTIVE_STATUSES] } });
  }

  async countByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = await this.runs
      .aggregate<{ _id: RunStatus; n: number }>([{ $group: { _id: "$status", n: { $sum: 1 } } }])
      .toArray();
    return Object.fromEntries(rows.map((r) => [r._id, r.n]));
  }

  async transition(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
    const run = await this.locks.withLock(`run:${id}`, async () => {
      const current = await this.runs.findOne({ _id: id });
      if (current === null || !predecessorsOf(to).includes(current.status)) return undefined;
      await this.runs.updateOne({ _id: id }, { $set: { ...changes, status: to } });
      return withoutId({ ...current, ...changes, status: to });
    });
    if (run === undefined) return undefined;
    await this.locks.withLock(`load-test:${run.loadTestId}`, async () => {
      const test = await this.loadTests.findOne({ _id: run.loadTestId }, { projection: { recentRuns: 1 } });
      // Read the run again inside the test's lock: a later transition may already have been written.
      const latest = await this.get(id);
      if (test === null || latest === undefined) return;
      await this.loadTests.updateOne(
        { _id: run.loadTestId },
        { $set: { recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(latest)) } },
      );
    });
    return run;
  }

  async setBaseline(
    id: string,
    on: boolean,
    changes: Pick<LoadTestRun, "updatedAt" | "updatedBy">,
  ): Promise<LoadTestRun | undefined> {
    const run = await this.get(id);
    if (run === undefined) return undefined;
    // Under the test's lock: two callers never leave two baselines in one env.
    return this.locks.withLock(`load-test:${run.loadTestId}:baseline`, async () => {
      if (on) {
        await this.runs.updateMany(
          { loadTestId: run.loadTestId, envId: run.envId, baseline: true, _id: { $ne: id } },
          { $set: { baseline: false, ...changes } },
        );
      }
      await this.runs.updateOne({ _id: id }, { $set: { baseline: on, ...changes } });
      return this.get(id);
    });
  }

  async findBaseline(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined> {
    return (await this.runs.findOne({ loadTestId, envId, baseline: true }, HIDDEN)) ?? undefined;
  }

  async markLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    return this.updateUnlaunched(id, changes);
  }

  async listActive(): Promise<LoadTestRun[]> {
    return this.runs
      .find({ status: { $in: [...ACTIVE_STATUSES] } }, HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .toArray();
  }

  async setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void> {
    // A conditional update (a late, older snapshot, or one resent, never moves lastMetrics), under the
    // run's lock as every write of a run is: FerretDB applies an update by reading the document and
    // writing it whole, not atomically (FerretDB issue #3040), so an unlocked one written beside a
    // transition could put back the status it had just left. (Likely what undid three stops of four in
    // one production-stack run of the lifecycle test: those runs then Finished at their duration.)
    await this.locks.withLock(`run:${runId}`, () =>
      this.runs.updateOne(
        { _id: runId, $or: [{ lastMetrics: null }, { "lastMetrics.seq": { $lt: summary.seq } }] },
        { $set: { lastMetrics: summary } },
      ),
    );
  }

  async addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined> {
    // Under the run's lock, as transitionRun reads and writes it: a run that just ended takes none.
    return this.locks.withLock(`run:${runId}`, async () => {
      const run = await this.runs.findOneAndUpdate(
        { _id: runId, status: "Running" },
        { $push: { loadChanges: change } },
        { returnDocument: "after" },
      );
      return withoutId(run);
    });
  }

  async updatePoolRun(id: string, changes: PoolRunChanges, unlaunched: boolean): Promise<LoadTestRun | undefined> {
    // Under the run's lock, as transitionRun reads and writes it.
    return this.locks.withLock(`run:${id}`, async () => {
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
    return this.locks.withLock(`pool:${poolId}`, async () => {
      const poolRuns = await this.runs
        .find({ agentPool: poolId, status: { $in: [...ACTIVE_STATUSES] } }, HIDDEN)
        .sort({ createdAt: 1, _id: 1 })
        .toArray();
      const changes = decide(poolRuns);
      return changes === undefined ? undefined : this.updateUnlaunched(id, changes);
    });
  }
}
