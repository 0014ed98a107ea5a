import {
  Histogram,
  PERCENTS,
  percentilesOf,
  unpackHistogram,
  type GraphPoint,
  type Scatter,
  type TimeseriesPoint,
} from "@loadmgr/shared";
import { mergePoints } from "../store/pointGroups.js";
import type { SnapshotPoint } from "../store/snapshotRecord.js";

/** Consecutive runs of `size` points, each merged (counts add, histograms merge); the last may be shorter. */
function mergeGroups(points: SnapshotPoint[], size: number): SnapshotPoint[] {
  if (size <= 1) return points;
  const groups: SnapshotPoint[] = [];
  for (let start = 0; start < points.length; start += size) groups.push(mergePoints(points.slice(start, start + size)));
  return groups;
}

const perSecond = (count: number, point: SnapshotPoint): number =>
  point.intervalMs > 0 ? (count * 1000) / point.intervalMs : 0;

/** How many adjacent intervals each point merges so that there are at most `maxPoints`. */
export const intervalsPerPoint = (count: number, maxPoints: number): number =>
  Math.max(1, Math.ceil(count / maxPoints));

export function graphPoints(points: SnapshotPoint[], maxPoints: number): GraphPoint[] {
  const { p50, p95, p99 } = PERCENTS;
  return mergeGroups(points, intervalsPerPoint(points.length, maxPoints)).map((group) => {
    const p = percentilesOf(unpackHistogram(group.histogram), group.requests, { p50, p95, p99 });
    return {
      seq: group.seq,
      timestamp: group.timestamp,
      users: group.users,
      requestsPerSec: perSecond(group.requests, group),
      errorsPerSec: perSecond(group.failures, group),
      avgResponseMs: group.requests > 0 ? group.sumResponseMs / group.requests : 0,
      p50ResponseMs: p.p50,
      p95ResponseMs: p.p95,
      p99ResponseMs: p.p99,
    };
  });
}

/** Every interval on its own: percentiles straight from each packed histogram (no merging needed). */
export function timeseriesPoints(points: SnapshotPoint[]): TimeseriesPoint[] {
  return points.map((point) => {
    const p = percentilesOf(unpackHistogram(point.histogram), point.requests, PERCENTS);
    return {
      seq: point.seq,
      timestamp: point.timestamp,
      intervalMs: point.intervalMs,
      users: point.users,
      requests: point.requests,
      failures: point.failures,
      requestsPerSec: perSecond(point.requests, point),
      failuresPerSec: perSecond(point.failures, point),
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
  for (const column of columns) distribution.addPacked(column.histogram);
  return {
    intervalsPerColumn: size,
    distribution: distribution.toPairs().map(([responseMs, count]) => ({ responseMs, count })),
    points: columns.flatMap((column) =>
      unpackHistogram(column.histogram).map(([responseMs, count]) => ({
        timestamp: column.timestamp,
        responseMs,
        count,
      })),
    ),
  };
}
