import { gunzipSync, gzipSync } from "node:zlib";
import { Binary, MongoClient, type Collection, type Db, type Filter } from "mongodb";
import type { MetricSnapshot, RunFile, RunFileName, WindowStatsRecord } from "@loadmgr/shared";
import { defined, ensureIndexes, isDuplicateKey } from "../../db/mongoShared.js";
import type { MetricsStore, RunFileRecord } from "../metricsStore.js";
import { BLOCK_SEQS, groupBySeq } from "../pointGroups.js";
import {
  isWholeRun,
  snapshotFromRecord,
  snapshotRecord,
  withRecords,
  type SnapshotPoint,
  type SnapshotRecord,
  type SnapshotWindow,
} from "../snapshotRecord.js";

/**
 * Chart figures are kept pre-merged at two sizes: blocks of 16 seqs (block b: b·16+1 … (b+1)·16), and
 * of 128 for long runs' charts (a day's chart reads 338 of those rather than 2,700). Each level keeps
 * its blocks many to a document (a chunk), so a chart is a few lookups by _id.
 */
interface Level {
  seqs: number;
  perChunk: number;
  key: (runId: string, chunk: number) => string;
}
const FINE: Level = { seqs: BLOCK_SEQS, perChunk: 128, key: (runId, chunk) => `${runId}~${chunk}` };
const COARSE: Level = { seqs: 128, perChunk: 512, key: (runId, chunk) => `${runId}~c${chunk}` };
/** A run's new snapshots are merged into its stats and blocks when the seq reaches a multiple of this (and at the final one). */
const MERGE_BATCH = 128;

/** Keyed by `<runId>~<seq>`: a resend is refused by the one uniqueness FerretDB enforces. `final` only when true. */
type SnapshotDoc = SnapshotRecord & { _id: string; final?: true };
/**
 * Consecutive blocks of one level of a run's chart figures in one document, keyed by Level.key (chunk
 * c: blocks c·perChunk … (c+1)·perChunk − 1).
 */
interface ChunkDoc {
  _id: string;
  loadTestRunId: string;
  loadTestId: string;
  chunk: number;
  blocks: SnapshotPoint[];
}
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
  /**
   * The merged snapshots include the run's final one: nothing newer can come (a resend is refused),
   * so reads need not look for snapshots after lastSeq. On FerretDB 1.x, whose SQLite backend pushes
   * down only `_id` equality, that look is a scan of every stored snapshot.
   */
  final?: true;
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
 * whole chart blocks. Reads add what is not merged yet. No locks. What reads of a finished run touch
 * is found by `_id` only (its stats document, its chunk documents, the snapshots of its last partial
 * block): on FerretDB 1.x, whose SQLite backend pushes down nothing but `_id` equality, any other
 * filter scans every stored snapshot (docs/performance.md has the cost); on MongoDB the indexes serve.
 */
export class MongoMetricsStore implements MetricsStore {
  readonly kind = "mongodb";
  private readonly client: MongoClient;
  private readonly db: Db;
  private readonly snapshots: Collection<SnapshotDoc>;
  private readonly chunks: Collection<ChunkDoc>;
  private readonly runStats: Collection<RunStatsDoc>;
  private readonly runFiles: Collection<RunFileDoc>;
  /**
   * Merges under way, per run, one at a time; `again`: asked for meanwhile, so one more runs after it
   * (for what arrived after its read). Requests while one waits collapse into it.
   */
  private readonly merging = new Map<string, { done: Promise<void>; again: boolean }>();

  constructor(
    uri: string,
    database: string,
    private readonly onMergeFailure: (runId: string, failure: string) => void = () => undefined,
    /** For reads only (the read worker's client): init connects, and changes nothing. */
    private readonly readonly = false,
  ) {
    // A few connections opened ahead: a chart's first read looks up a dozen documents at once.
    this.client = new MongoClient(uri, { serverSelectionTimeoutMS: 5000, minPoolSize: 4 });
    this.db = this.client.db(database);
    this.snapshots = this.db.collection("metrics_timeseries");
    this.chunks = this.db.collection("metrics_blocks");
    this.runStats = this.db.collection("run_stats");
    this.runFiles = this.db.collection("run_files");
  }

  async init(): Promise<void> {
    await this.client.connect();
    if (this.readonly) return;
    await ensureIndexes(this.snapshots, [
      { key: { loadTestRunId: 1, seq: 1 }, name: "run_seq_idx", unique: true },
      { key: { loadTestRunId: 1, timestamp: 1 }, name: "run_time_idx" },
      { key: { loadTestId: 1 }, name: "test_idx" },
    ]);
    await ensureIndexes(this.chunks, [{ key: { loadTestId: 1 }, name: "test_idx" }]);
    await ensureIndexes(this.runStats, [{ key: { loadTestId: 1 }, name: "test_idx" }]);
    await ensureIndexes(this.runFiles, [
      { key: { runId: 1 }, name: "run_idx" },
      { key: { loadTestId: 1 }, name: "test_idx" },
    ]);
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
      await this.snapshots.insertOne({
        _id: `${snapshot.runId}~${snapshot.seq}`,
        ...snapshotRecord(snapshot),
        ...(snapshot.final ? { final: true as const } : {}),
      });
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
    if (doc?.final === true) return { doc, kept, pending: [] };
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
    const { doc, kept, pending: unmerged } = await this.readUnmerged(runId);
    // Only the gapless run of seqs after lastSeq (all of them once the final one is in): a seq that
    // is late (pushes that overlapped) must still be after lastSeq when it lands, or it is never read.
    const final = unmerged.some((p) => p.final === true);
    let gapless = 0;
    while (gapless < unmerged.length && unmerged[gapless]?.seq === (kept?.lastSeq ?? 0) + gapless + 1) gapless++;
    const pending = final ? unmerged : unmerged.slice(0, gapless);
    const first = pending[0];
    const merged = withRecords(kept, pending);
    if (first === undefined || merged === undefined) return;
    const blocksFrom = doc?.blocksThrough ?? 0;
    const blocksThrough = Math.max(blocksFrom, Math.floor(merged.lastSeq / BLOCK_SEQS) * BLOCK_SEQS);
    if (blocksThrough > blocksFrom) {
      // The new whole blocks: the few snapshots merged before (after blocksFrom), found by _id, and the new ones.
      const before = await this.pointsById(runId, blocksFrom, kept?.lastSeq ?? 0);
      const points = [...before, ...pending.filter((p) => p.seq <= blocksThrough)];
      await this.writeBlocks(FINE, runId, first.loadTestId, groupBySeq(points, BLOCK_SEQS));
      // Coarse blocks from the fine ones (merging is associative: the same figures as from the points).
      const coarseFrom = Math.floor(blocksFrom / COARSE.seqs) * COARSE.seqs;
      const coarseThrough = Math.floor(blocksThrough / COARSE.seqs) * COARSE.seqs;
      if (coarseThrough > coarseFrom) {
        const fine = await this.readBlocks(FINE, runId, coarseFrom, coarseThrough);
        await this.writeBlocks(COARSE, runId, first.loadTestId, groupBySeq(fine, COARSE.seqs));
      }
    }
    // After the blocks: a document never claims blocks that are not written. Replaced whole, by _id
    // (the one filter FerretDB answers without a scan); should two processes merge one run at once,
    // the last one's document is as consistent as the other's, and reads add what is after its lastSeq.
    await this.runStats.replaceOne(
      { _id: runId },
      {
        loadTestId: first.loadTestId,
        stats: JSON.stringify(merged),
        lastSeq: merged.lastSeq,
        blocksThrough,
        ...(final ? { final: true as const } : {}),
      },
      { upsert: true },
    );
  }

  /** The snapshots of seqs after `afterSeq` through `throughSeq` that are stored, each found by its _id. */
  private async pointsById(runId: string, afterSeq: number, throughSeq: number): Promise<SnapshotPoint[]> {
    const found = await Promise.all(
      Array.from({ length: Math.max(0, throughSeq - afterSeq) }, (_, i) =>
        this.snapshots.findOne(
          { _id: `${runId}~${afterSeq + i + 1}` },
          { promoteBuffers: true, projection: POINT_PROJECTION },
        ),
      ),
    );
    return found.filter((point): point is SnapshotDoc => point !== null);
  }

  /** Puts whole blocks of a level into their chunk documents (read, amended, replaced by _id). */
  private async writeBlocks(level: Level, runId: string, loadTestId: string, blocks: SnapshotPoint[]): Promise<void> {
    const byChunk = new Map<number, Map<number, SnapshotPoint>>();
    for (const point of blocks) {
      const block = Math.floor((point.seq - 1) / level.seqs);
      const chunk = Math.floor(block / level.perChunk);
      let entries = byChunk.get(chunk);
      if (entries === undefined) byChunk.set(chunk, (entries = new Map<number, SnapshotPoint>()));
      entries.set(block, point);
    }
    for (const [chunk, entries] of byChunk) {
      const _id = level.key(runId, chunk);
      const existing = await this.chunks.findOne({ _id }, { promoteBuffers: true });
      const kept = (existing?.blocks ?? []).filter((point) => !entries.has(Math.floor((point.seq - 1) / level.seqs)));
      const all = [...kept, ...entries.values()].sort((x, y) => x.seq - y.seq);
      await this.chunks.replaceOne({ _id }, { loadTestRunId: runId, loadTestId, chunk, blocks: all }, { upsert: true });
    }
  }

  /** A level's blocks covering seqs after `afterSeq` through `throughSeq` (both multiples of its size), in order. */
  private async readBlocks(
    level: Level,
    runId: string,
    afterSeq: number,
    throughSeq: number,
  ): Promise<SnapshotPoint[]> {
    if (throughSeq <= afterSeq) return [];
    const firstBlock = afterSeq / level.seqs;
    const endBlock = throughSeq / level.seqs; // exclusive
    const firstChunk = Math.floor(firstBlock / level.perChunk);
    const lastChunk = Math.floor((endBlock - 1) / level.perChunk);
    const chunks = await Promise.all(
      Array.from({ length: lastChunk - firstChunk + 1 }, (_, i) =>
        this.chunks.findOne(
          { _id: level.key(runId, firstChunk + i) },
          { promoteBuffers: true, projection: { blocks: 1 } },
        ),
      ),
    );
    return chunks
      .flatMap((chunk) => chunk?.blocks ?? [])
      .filter((point) => {
        const block = Math.floor((point.seq - 1) / level.seqs);
        return block >= firstBlock && block < endBlock;
      });
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

  /** Coarse blocks when that at most halves the points asked for, else fine ones once a group holds one. */
  chartGroupSeqs(wanted: number): number {
    const coarse = Math.ceil(wanted / COARSE.seqs) * COARSE.seqs;
    if (coarse <= 2 * wanted) return coarse;
    return wanted >= FINE.seqs ? Math.ceil(wanted / FINE.seqs) * FINE.seqs : wanted;
  }

  async listSnapshotPoints(
    runId: string,
    window: SnapshotWindow = {},
    groupSeqs = 1,
    limit?: number,
  ): Promise<SnapshotPoint[]> {
    if (limit === undefined && isWholeRun(window) && groupSeqs % BLOCK_SEQS === 0) {
      // Whole blocks through blocksThrough are written (in chunk documents, each found by its _id):
      // coarse ones as far as they go when the groups take them, then fine ones; after blocksThrough,
      // the snapshots themselves (a final run's few by _id, a live run's by a query).
      const doc = await this.runStats.findOne(
        { _id: runId },
        { projection: { blocksThrough: 1, lastSeq: 1, final: 1 } },
      );
      const through = doc?.blocksThrough ?? 0;
      const coarseThrough = groupSeqs % COARSE.seqs === 0 ? Math.floor(through / COARSE.seqs) * COARSE.seqs : 0;
      const [coarse, fine, rest] = await Promise.all([
        this.readBlocks(COARSE, runId, 0, coarseThrough),
        this.readBlocks(FINE, runId, coarseThrough, through),
        doc?.final === true
          ? this.pointsById(runId, through, doc.lastSeq ?? through)
          : this.pointsOf(runId, { afterSeq: through }),
      ]);
      const blocks = [...coarse, ...fine];
      return groupBySeq([...blocks, ...rest], groupSeqs);
    }
    return groupBySeq(await this.pointsOf(runId, window, limit), groupSeqs);
  }

  async deleteLoadTestMetrics(loadTestId: string): Promise<void> {
    await this.snapshots.deleteMany({ loadTestId });
    await this.chunks.deleteMany({ loadTestId });
    await this.runStats.deleteMany({ loadTestId });
    await this.runFiles.deleteMany({ loadTestId });
  }

  async putRunFile(file: RunFileRecord): Promise<void> {
    const { content, ...rest } = file;
    const doc = { ...rest, _id: `${file.runId}/${file.name}`, gzipped: new Binary(gzipSync(content)) };
    await this.runFiles.replaceOne({ _id: doc._id }, doc, { upsert: true });
  }

  async listRunFiles(runId: string): Promise<RunFile[]> {
    const docs = await this.runFiles
      .find({ runId }, { projection: { name: 1, bytes: 1, truncated: 1, collectedAt: 1 } })
      .sort({ name: 1 })
      .toArray();
    return docs.map(({ name, bytes, truncated, collectedAt }) => ({ name, bytes, truncated, collectedAt }));
  }

  async getRunFile(runId: string, name: RunFileName): Promise<RunFileRecord | undefined> {
    const doc = await this.runFiles.findOne({ _id: `${runId}/${name}` });
    if (doc === null) return undefined;
    const { _id, gzipped, ...rest } = doc;
    return { ...rest, content: gunzipSync(gzipped.buffer) };
  }
}

interface RunFileDoc extends Omit<RunFileRecord, "content"> {
  _id: string;
  gzipped: Binary;
}
