import { deflateRawSync, inflateRawSync } from "node:zlib";
import {
  Histogram,
  packHistogram,
  unpackHistogram,
  VarintReader,
  writeVarint,
  WindowStats,
  type EndpointInterval,
  type MetricSnapshot,
  type RegionInterval,
  type WindowStatsRecord,
} from "@loadmgr/shared";

/** What charts read per snapshot: its figures over all endpoints, without the per-endpoint detail. */
export interface SnapshotPoint {
  seq: number;
  timestamp: number;
  intervalMs: number;
  users: number;
  requests: number;
  failures: number;
  sumResponseMs: number;
  minResponseMs: number;
  maxResponseMs: number;
  /** The all-endpoint histogram, packed (Histogram.addPacked reads it). */
  histogram: Uint8Array;
}

/** Which snapshots of a run to read; every bound is optional and inclusive except `afterSeq`. */
export interface SnapshotWindow {
  from?: number | undefined;
  to?: number | undefined;
  afterSeq?: number | undefined;
  throughSeq?: number | undefined;
}

/** A window with no bound: the whole run (what pre-merged chart blocks can answer). */
export const isWholeRun = (window: SnapshotWindow): boolean =>
  window.from === undefined &&
  window.to === undefined &&
  window.afterSeq === undefined &&
  window.throughSeq === undefined;

/** The per-endpoint detail, kept compressed: most of a snapshot's bytes, read only for windowed detail. */
type SnapshotBody = Pick<
  MetricSnapshot,
  "final" | "totalRequests" | "totalFailures" | "locustSpanMs" | "endpoints" | "errors" | "regions"
>;
type Bare = Omit<EndpointInterval, "histogram">;
type BodyHeader = Omit<SnapshotBody, "endpoints" | "regions"> & {
  endpoints: Bare[];
  regions?: (Omit<RegionInterval, "endpoints"> & { endpoints: Bare[] })[];
};

const bare = (endpoints: EndpointInterval[]): Bare[] => endpoints.map(({ histogram: _h, ...rest }) => rest);

/**
 * The body's bytes, deflated: a JSON header (everything but the histograms), then each endpoint's
 * histogram packed (varints), the whole run's and then each region's; each part prefixed by its
 * length. A quarter of the size of JSON pairs.
 */
function encodeBody(body: SnapshotBody): Buffer {
  const { regions, ...rest } = body;
  const header: BodyHeader = {
    ...rest,
    endpoints: bare(body.endpoints),
    ...(regions !== undefined && regions.length > 0
      ? { regions: regions.map((r) => ({ ...r, endpoints: bare(r.endpoints) })) }
      : {}),
  };
  const json = Buffer.from(JSON.stringify(header), "utf8");
  const lengths: number[] = [];
  writeVarint(lengths, json.length);
  const parts: Uint8Array[] = [Uint8Array.from(lengths), json];
  for (const endpoint of [...body.endpoints, ...(regions ?? []).flatMap((r) => r.endpoints)]) {
    const packed = packHistogram(endpoint.histogram);
    const prefix: number[] = [];
    writeVarint(prefix, packed.length);
    parts.push(Uint8Array.from(prefix), packed);
  }
  return deflateRawSync(Buffer.concat(parts));
}

function decodeBody(bytes: Uint8Array): SnapshotBody {
  const reader = new VarintReader(inflateRawSync(bytes));
  const header = JSON.parse(Buffer.from(reader.take(reader.next())).toString("utf8")) as BodyHeader;
  const withHistograms = (endpoints: Bare[]): EndpointInterval[] =>
    endpoints.map((endpoint) => ({ ...endpoint, histogram: unpackHistogram(reader.take(reader.next())) }));
  const endpoints = withHistograms(header.endpoints);
  const { regions, ...rest } = header;
  return {
    ...rest,
    endpoints,
    ...(regions !== undefined
      ? { regions: regions.map((r) => ({ ...r, endpoints: withHistograms(r.endpoints) })) }
      : {}),
  };
}

/** How both stores keep a snapshot: the fields it is looked up by, its chart figures, and its compressed detail. */
export interface SnapshotRecord extends SnapshotPoint {
  loadTestRunId: string;
  loadTestId: string;
  accountId: string;
  orgId: string;
  projectId: string;
  envId: string | null;
  histogram: Buffer;
  body: Buffer;
}

/** A snapshot's chart figures over all its endpoints, or only those named `name`. */
export function pointOf(snapshot: MetricSnapshot, name?: string): SnapshotPoint & { histogram: Buffer } {
  let requests = 0;
  let failures = 0;
  let sumResponseMs = 0;
  let minResponseMs = Number.POSITIVE_INFINITY;
  let maxResponseMs = 0;
  const histogram = new Histogram();
  for (const endpoint of snapshot.endpoints) {
    if (name !== undefined && endpoint.name !== name) continue;
    requests += endpoint.requests;
    failures += endpoint.failures;
    sumResponseMs += endpoint.sumResponseMs;
    if (endpoint.requests > 0) minResponseMs = Math.min(minResponseMs, endpoint.minResponseMs);
    maxResponseMs = Math.max(maxResponseMs, endpoint.maxResponseMs);
    histogram.addPairs(endpoint.histogram);
  }
  return {
    seq: snapshot.seq,
    timestamp: snapshot.timestamp,
    intervalMs: snapshot.intervalMs,
    users: snapshot.users,
    requests,
    failures,
    sumResponseMs,
    minResponseMs: requests > 0 ? minResponseMs : 0,
    maxResponseMs,
    histogram: Buffer.from(packHistogram(histogram.toPairs())),
  };
}

export function snapshotRecord(snapshot: MetricSnapshot): SnapshotRecord {
  const body: SnapshotBody = {
    final: snapshot.final,
    totalRequests: snapshot.totalRequests,
    totalFailures: snapshot.totalFailures,
    ...(snapshot.locustSpanMs !== undefined ? { locustSpanMs: snapshot.locustSpanMs } : {}),
    endpoints: snapshot.endpoints,
    errors: snapshot.errors,
    ...(snapshot.regions !== undefined ? { regions: snapshot.regions } : {}),
  };
  return {
    ...pointOf(snapshot),
    loadTestRunId: snapshot.runId,
    loadTestId: snapshot.loadTestId,
    accountId: snapshot.accountId,
    orgId: snapshot.orgId,
    projectId: snapshot.projectId,
    envId: snapshot.envId,
    body: encodeBody(body),
  };
}

export function snapshotFromRecord(record: SnapshotRecord): MetricSnapshot {
  const body = decodeBody(record.body);
  return {
    runId: record.loadTestRunId,
    seq: record.seq,
    timestamp: record.timestamp,
    intervalMs: record.intervalMs,
    users: record.users,
    ...body,
    loadTestId: record.loadTestId,
    accountId: record.accountId,
    orgId: record.orgId,
    projectId: record.projectId,
    envId: record.envId,
  };
}

/** Kept whole-run stats with stored snapshots (in seq order) added: what a read answers, or a merge writes. */
export function withRecords(
  kept: WindowStatsRecord | undefined,
  records: SnapshotRecord[],
): WindowStatsRecord | undefined {
  if (records.length === 0) return kept;
  const stats = kept === undefined ? new WindowStats() : WindowStats.fromRecord(kept);
  for (const record of records) stats.addSnapshot(snapshotFromRecord(record));
  return stats.toRecord();
}
