import { MongoClient, type Collection, type Db, type Filter } from "mongodb";
import type { MetricSnapshot, WindowStatsRecord } from "@loadmgr/shared";
import { defined, ensureIndexes, isDuplicateKey } from "../../store/mongo/mongoShared.js";
import type { MetricsStore } from "../metricsStore.js";
import { groupBySeq } from "../pointGroups.js";
import {
  snapshotFromRecord,
  snapshotRecord,
  withRecords,
  type SnapshotPoint,
  type SnapshotRecord,
  type SnapshotWindow,
} from "../snapshotRecord.js";

/** Chart figures are kept pre-merged per this many consecutive seqs (block b: b·16+1 … (b+1)·16). */
const BLOCK_SEQS = 16;
/** A run's new snapshots are merged into its stats and blocks when the seq reaches a multiple of this (and at the final one). */
const MERGE_BATCH = 128;

/** Keyed by `<runId>~<seq>`: a resend is refused by the one uniqueness FerretDB enforces. */
type SnapshotDoc = SnapshotRecord & { _id: string };
/** A block of a run's chart figures, keyed by `<runId>~<block>`. */
type BlockDoc = SnapshotPoint & { _id: string; loadTestRunId: string; loadTestId: string; block: number };
/**
 * Per run, its snapshots through `lastSeq` merged; blocks are written for every whole block through
 * `blocksThrough` (a multiple of BLOCK_SEQS; missing on documents written before blocks existed).
 */
interface RunStatsDoc {
  _id: string;
  loadTestId: string;
  stats: string;
  lastSeq?: number;
  blocksThrough?: number;
}
/** Snapshots stored before the chart columns existed: the whole snapshot in one field. */
interface V1SnapshotDoc {
  _id: string;
  snapshot: MetricSnapshot;
}

const POINT_PROJECTION = {
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
} as const;

/**
 * The production metrics store on the official MongoDB driver, its own client beside the entity
 * store's. A push is one insert; every MERGE_BATCH-th seq (and a run's final snapshot) starts a merge
 * after the push is answered, which adds the run's new snapshots to its stats document and writes its
 * whole chart blocks. Reads add what is not merged yet. No locks: a merge writes the stats only if
 * nobody wrote them since it read them, and blocks are rebuilt from the snapshots (same input, same
 * block).
 */
export class MongoMetricsStore implements MetricsStore {
  readonly kind = "mongodb";
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly snapshots: Collection<SnapshotDoc>;
  private readonly blocks: Collection<BlockDoc>;
  private readonly runStats: Collection<RunStatsDoc>;
  /**
   * Merges under way, per run, one at a time; `again`: asked for meanwhile, so one more runs after it
   * (for what arrived after its read). Requests while one waits collapse into it.
   */
  private readonly merging = new Map<string, { done: Promise<void>; again: boolean }>();

  constructor(
    uri: string,
    database: string,
    private readonly onMergeFailure: (runId: string, failure: string) => void = () => undefined,
  ) {
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000 });
    this.db = this.client.db(database);
    this.snapshots = this.db.collection("metrics_timeseries");
    this.blocks = this.db.collection("metrics_blocks");
    this.runStats = this.db.collection("run_stats");
  }

  async init(): Promise<void> {
    await this.client.connect();
    await ensureIndexes(this.snapshots, [
      { key: { loadTestRunId: 1, seq: 1 }, name: "run_seq_idx", unique: true },
      { key: { loadTestRunId: 1, timestamp: 1 }, name: "run_time_idx" },
      { key: { loadTestId: 1 }, name: "test_idx" },
    ]);
    await ensureIndexes(this.blocks, [
      { key: { loadTestRunId: 1, block: 1 }, name: "run_block_idx" },
      { key: { loadTestId: 1 }, name: "test_idx" },
    ]);
    await ensureIndexes(this.runStats, [{ key: { loadTestId: 1 }, name: "test_idx" }]);
    await this.convertV1Snapshots();
  }

  private async convertV1Snapshots(): Promise<void> {
    const legacy = this.db.collection<V1SnapshotDoc>("metrics_timeseries");
    for await (const doc of legacy.find({ body: { $exists: false } }).sort({ seq: 1 })) {
      // The run's stats take it in when they are next read.
      await this.snapshots.replaceOne({ _id: doc._id }, snapshotRecord(doc.snapshot));
    }
  }

  async close(): Promise<void> {
    await this.settle();
    await this.client.close();
  }

  async settle(): Promise<void> {
    while (this.merging.size > 0) await Promise.all([...this.merging.values()].map((m) => m.done));
  }

  async addMetricSnapshot(snapshot: MetricSnapshot): Promise<"added" | "duplicate"> {
    try {
      await this.snapshots.insertOne({ _id: `${snapshot.runId}~${snapshot.seq}`, ...snapshotRecord(snapshot) });
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
      return "duplicate";
    }
    if (snapshot.seq % MERGE_BATCH === 0 || snapshot.final) this.requestMerge(snapshot.runId);
    return "added";
  }

  private requestMerge(runId: string): void {
    const current = this.merging.get(runId);
    if (current !== undefined) {
      current.again = true;
      return;
    }
    const entry = { done: Promise.resolve(), again: false };
    const run = async (): Promise<void> => {
      // After the push that asked has been answered.
      await new Promise<void>((resolve) => setImmediate(resolve));
      do {
        entry.again = false;
        try {
          await this.mergeRun(runId);
        } catch (error) {
          // Left unmerged: reads merge it themselves, and the run's next batch tries again.
          this.onMergeFailure(runId, error instanceof Error ? (error.stack ?? error.message) : String(error));
        }
      } while (entry.again);
      this.merging.delete(runId);
    };
    entry.done = run();
    this.merging.set(runId, entry);
  }

  /** The run's stats document and its snapshots after the document's lastSeq. */
  private async readUnmerged(
    runId: string,
  ): Promise<{ doc: RunStatsDoc | null; kept: WindowStatsRecord | undefined; pending: SnapshotDoc[] }> {
    const doc = await this.runStats.findOne({ _id: runId });
    const kept = doc === null ? undefined : (JSON.parse(doc.stats) as WindowStatsRecord);
    const pending = await this.snapshots
      .find({ loadTestRunId: runId, seq: { $gt: kept?.lastSeq ?? 0 } }, { promoteBuffers: true })
      .sort({ seq: 1 })
      .toArray();
    return { doc, kept, pending };
  }

  async getRunStats(runId: string): Promise<WindowStatsRecord | undefined> {
    const { kept, pending } = await this.readUnmerged(runId);
    return withRecords(kept, pending);
  }

  /**
   * Adds the run's new snapshots to its stats document, after writing the whole blocks they complete
   * (so a document never claims blocks that are not there). Written only if the document is still
   * what was read; otherwise another process merged first, and what it wrote is as good.
   */
  private async mergeRun(runId: string): Promise<void> {
    const { doc, kept, pending } = await this.readUnmerged(runId);
    const first = pending[0];
    const merged = withRecords(kept, pending);
    if (first === undefined || merged === undefined) return;
    const blocksFrom = doc?.blocksThrough ?? 0;
    const blocksThrough = Math.floor(merged.lastSeq / BLOCK_SEQS) * BLOCK_SEQS;
    if (blocksThrough > blocksFrom) {
      const points = await this.pointsOf(runId, { afterSeq: blocksFrom, throughSeq: blocksThrough });
      const blocks = groupBySeq(points, BLOCK_SEQS);
      if (blocks.length > 0) {
        await this.blocks.bulkWrite(
          blocks.map((point) => {
            const block = Math.floor((point.seq - 1) / BLOCK_SEQS);
            const _id = `${runId}~${block}`;
            return {
              replaceOne: {
                filter: { _id },
                replacement: { _id, loadTestRunId: runId, loadTestId: first.loadTestId, block, ...point },
                upsert: true,
              },
            };
          }),
          { ordered: false },
        );
      }
    }
    const next: RunStatsDoc = {
      _id: runId,
      loadTestId: first.loadTestId,
      stats: JSON.stringify(merged),
      lastSeq: merged.lastSeq,
      blocksThrough: Math.max(blocksFrom, blocksThrough),
    };
    try {
      if (doc === null) await this.runStats.insertOne(next);
      else await this.runStats.replaceOne({ _id: runId, stats: doc.stats }, next);
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
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
    return this.snapshots.countDocuments(this.windowFilter(runId, window));
  }

  async listMetricSnapshots(runId: string, window: SnapshotWindow = {}, limit?: number): Promise<MetricSnapshot[]> {
    const rows = await this.snapshots
      .find(this.windowFilter(runId, window), { promoteBuffers: true })
      .sort({ seq: 1 })
      .limit(limit ?? 0) // 0 is no limit
      .toArray();
    return rows.map((row) => snapshotFromRecord(row));
  }

  private async pointsOf(runId: string, window: SnapshotWindow, limit?: number): Promise<SnapshotPoint[]> {
    return this.snapshots
      .find(this.windowFilter(runId, window), { promoteBuffers: true, projection: POINT_PROJECTION })
      .sort({ seq: 1 })
      .limit(limit ?? 0) // 0 is no limit
      .toArray();
  }

  chartGroupSeqs(wanted: number): number {
    return wanted >= BLOCK_SEQS ? Math.ceil(wanted / BLOCK_SEQS) * BLOCK_SEQS : wanted;
  }

  async listSnapshotPoints(
    runId: string,
    window: SnapshotWindow = {},
    groupSeqs = 1,
    limit?: number,
  ): Promise<SnapshotPoint[]> {
    const whole =
      limit === undefined &&
      window.from === undefined &&
      window.to === undefined &&
      window.afterSeq === undefined &&
      window.throughSeq === undefined;
    if (whole && groupSeqs % BLOCK_SEQS === 0) {
      // Whole blocks through blocksThrough are written; after it, the snapshots themselves.
      const doc = await this.runStats.findOne({ _id: runId }, { projection: { blocksThrough: 1 } });
      const through = doc?.blocksThrough ?? 0;
      const [blocks, rest] = await Promise.all([
        through === 0
          ? Promise.resolve([])
          : this.blocks
              .find(
                { loadTestRunId: runId, block: { $lt: through / BLOCK_SEQS } },
                { promoteBuffers: true, projection: POINT_PROJECTION },
              )
              .sort({ block: 1 })
              .toArray(),
        this.pointsOf(runId, { afterSeq: through }),
      ]);
      return groupBySeq([...blocks, ...rest], groupSeqs);
    }
    return groupBySeq(await this.pointsOf(runId, window, limit), groupSeqs);
  }

  async deleteLoadTestMetrics(loadTestId: string): Promise<void> {
    await this.snapshots.deleteMany({ loadTestId });
    await this.blocks.deleteMany({ loadTestId });
    await this.runStats.deleteMany({ loadTestId });
  }
}
