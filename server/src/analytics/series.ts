import {
  Histogram,
  PERCENTS,
  packHistogram,
  percentilesOf,
  unpackHistogram,
  type GraphPoint,
  type MetricSnapshot,
  type Scatter,
  type TimeseriesPoint,
} from "@loadmgr/shared";
import type { SnapshotPoint } from "../store/snapshotRecord.js";

/** Adjacent intervals merged: counts add, histograms merge; time and users are the last interval's. */
class MergedIntervals {
  seq = 0;
  timestamp = 0;
  intervalMs = 0;
  users = 0;
  requests = 0;
  failures = 0;
  sumResponseMs = 0;
  minResponseMs = Number.POSITIVE_INFINITY;
  maxResponseMs = 0;
  readonly histogram = new Histogram();

  add(point: SnapshotPoint): void {
    this.seq = point.seq;
    this.timestamp = point.timestamp;
    this.users = point.users;
    this.intervalMs += point.intervalMs;
    this.requests += point.requests;
    this.failures += point.failures;
    this.sumResponseMs += point.sumResponseMs;
    if (point.requests > 0) this.minResponseMs = Math.min(this.minResponseMs, point.minResponseMs);
    this.maxResponseMs = Math.max(this.maxResponseMs, point.maxResponseMs);
    this.histogram.addPacked(point.histogram);
  }

  perSecond(count: number): number {
    return this.intervalMs > 0 ? (count * 1000) / this.intervalMs : 0;
  }

  get avgResponseMs(): number {
    return this.requests > 0 ? this.sumResponseMs / this.requests : 0;
  }
}

/** Consecutive runs of `size` points, each merged; the last group may be shorter. */
function mergeGroups(points: SnapshotPoint[], size: number): MergedIntervals[] {
  const groups: MergedIntervals[] = [];
  for (let start = 0; start < points.length; start += size) {
    const group = new MergedIntervals();
    for (const point of points.slice(start, start + size)) group.add(point);
    groups.push(group);
  }
  return groups;
}

/** How many adjacent intervals each point merges so that there are at most `maxPoints`. */
export const intervalsPerPoint = (count: number, maxPoints: number): number =>
  Math.max(1, Math.ceil(count / maxPoints));

export function graphPoints(points: SnapshotPoint[], maxPoints: number): GraphPoint[] {
  return mergeGroups(points, intervalsPerPoint(points.length, maxPoints)).map((group) => ({
    timestamp: group.timestamp,
    users: group.users,
    requestsPerSec: group.perSecond(group.requests),
    errorsPerSec: group.perSecond(group.failures),
    avgResponseMs: group.avgResponseMs,
    p95ResponseMs: group.histogram.percentiles(group.requests, { p95: PERCENTS.p95 }).p95,
  }));
}

/** Every interval on its own: percentiles straight from each packed histogram (no merging needed). */
export function timeseriesPoints(points: SnapshotPoint[]): TimeseriesPoint[] {
  return points.map((point) => {
    const p = percentilesOf(unpackHistogram(point.histogram), point.requests, PERCENTS);
    const perSecond = (count: number): number => (point.intervalMs > 0 ? (count * 1000) / point.intervalMs : 0);
    return {
      seq: point.seq,
      timestamp: point.timestamp,
      intervalMs: point.intervalMs,
      users: point.users,
      requests: point.requests,
      failures: point.failures,
      requestsPerSec: perSecond(point.requests),
      failuresPerSec: perSecond(point.failures),
      avgResponseMs: point.requests > 0 ? point.sumResponseMs / point.requests : 0,
      minResponseMs: point.requests > 0 ? point.minResponseMs : 0,
      maxResponseMs: point.maxResponseMs,
      p50ResponseMs: p.p50,
      p95ResponseMs: p.p95,
      p99ResponseMs: p.p99,
    };
  });
}

export function scatterOf(points: SnapshotPoint[], maxColumns: number): Omit<Scatter, "runId" | "name"> {
  const size = intervalsPerPoint(points.length, maxColumns);
  const distribution = new Histogram();
  const columns = mergeGroups(points, size);
  for (const column of columns) distribution.merge(column.histogram);
  return {
    intervalsPerColumn: size,
    distribution: distribution.toPairs().map(([responseMs, count]) => ({ responseMs, count })),
    points: columns.flatMap((column) =>
      column.histogram.toPairs().map(([responseMs, count]) => ({ timestamp: column.timestamp, responseMs, count })),
    ),
  };
}

/** A snapshot's figures over only the endpoints named `name`, in the form charts read. */
export function namedPoint(snapshot: MetricSnapshot, name: string): SnapshotPoint {
  const point: SnapshotPoint = {
    seq: snapshot.seq,
    timestamp: snapshot.timestamp,
    intervalMs: snapshot.intervalMs,
    users: snapshot.users,
    requests: 0,
    failures: 0,
    sumResponseMs: 0,
    minResponseMs: Number.POSITIVE_INFINITY,
    maxResponseMs: 0,
    histogram: new Uint8Array(),
  };
  const histogram = new Histogram();
  for (const endpoint of snapshot.endpoints) {
    if (endpoint.name !== name) continue;
    point.requests += endpoint.requests;
    point.failures += endpoint.failures;
    point.sumResponseMs += endpoint.sumResponseMs;
    if (endpoint.requests > 0) point.minResponseMs = Math.min(point.minResponseMs, endpoint.minResponseMs);
    point.maxResponseMs = Math.max(point.maxResponseMs, endpoint.maxResponseMs);
    histogram.addPairs(endpoint.histogram);
  }
  if (point.requests === 0) point.minResponseMs = 0;
  point.histogram = packHistogram(histogram.toPairs());
  return point;
}
