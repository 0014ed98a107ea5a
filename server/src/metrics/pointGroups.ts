import { Histogram, packHistogram } from "@loadmgr/shared";
import type { SnapshotPoint } from "./snapshotRecord.js";

/**
 * Charts over many snapshots merge them in ranges of a multiple of this many seqs, so that a store
 * can answer from pre-merged blocks (SQLite keeps them in metrics_blocks).
 */
export const BLOCK_SEQS = 16;

/** Several snapshots' chart figures as one: counts add, histograms merge; seq, time and users are the last one's. */
export function mergePoints(points: SnapshotPoint[]): SnapshotPoint {
  const histogram = new Histogram();
  const merged: SnapshotPoint = {
    seq: 0,
    timestamp: 0,
    intervalMs: 0,
    users: 0,
    requests: 0,
    failures: 0,
    sumResponseMs: 0,
    minResponseMs: Number.POSITIVE_INFINITY,
    maxResponseMs: 0,
    histogram: new Uint8Array(),
  };
  for (const point of points) {
    if (point.seq >= merged.seq) {
      merged.seq = point.seq;
      merged.timestamp = point.timestamp;
      merged.users = point.users;
    }
    merged.intervalMs += point.intervalMs;
    merged.requests += point.requests;
    merged.failures += point.failures;
    merged.sumResponseMs += point.sumResponseMs;
    if (point.requests > 0) merged.minResponseMs = Math.min(merged.minResponseMs, point.minResponseMs);
    merged.maxResponseMs = Math.max(merged.maxResponseMs, point.maxResponseMs);
    histogram.addPacked(point.histogram);
  }
  if (merged.requests === 0) merged.minResponseMs = 0;
  merged.histogram = packHistogram(histogram.toPairs());
  return merged;
}

/** Points (in seq order) merged per range of `groupSeqs` consecutive seqs: g·groupSeqs+1 … (g+1)·groupSeqs. */
export function groupBySeq(points: SnapshotPoint[], groupSeqs: number): SnapshotPoint[] {
  if (groupSeqs <= 1) return points;
  const groups: SnapshotPoint[] = [];
  let current: SnapshotPoint[] = [];
  let group = -1;
  for (const point of points) {
    const g = Math.floor((point.seq - 1) / groupSeqs);
    if (g !== group && current.length > 0) {
      groups.push(mergePoints(current));
      current = [];
    }
    group = g;
    current.push(point);
  }
  if (current.length > 0) groups.push(mergePoints(current));
  return groups;
}
