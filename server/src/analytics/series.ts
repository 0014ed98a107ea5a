import {
  Histogram,
  intervalFigures,
  intervalPercentiles,
  unpackHistogram,
  type GraphPoint,
  type Scatter,
  type TimeseriesPoint,
} from "@loadmgr/shared";
import { mergePoints } from "../metrics/pointGroups.js";
import type { SnapshotPoint } from "../metrics/snapshotRecord.js";

/** How many adjacent intervals each point merges so that there are at most `maxPoints`. */
export const intervalsPerPoint = (count: number, maxPoints: number): number =>
  Math.max(1, Math.ceil(count / maxPoints));

function graphPointOf(group: SnapshotPoint): GraphPoint {
  return {
    seq: group.seq,
    timestamp: group.timestamp,
    users: group.users,
    ...intervalFigures(group, group.intervalMs),
    ...intervalPercentiles(unpackHistogram(group.histogram), group.requests),
  };
}

export function graphPoints(points: SnapshotPoint[], maxPoints: number): GraphPoint[] {
  const graph = new GraphBuilder(intervalsPerPoint(points.length, maxPoints));
  graph.add(points);
  return graph.result();
}

/**
 * Merges points `size` at a time as they arrive (the pages of a window), handing each merged group
 * on, so that no step works on the whole window at once.
 */
class GroupMerger {
  private group: SnapshotPoint[] = [];

  constructor(
    private readonly size: number,
    private readonly onGroup: (group: SnapshotPoint) => void,
  ) {}

  add(points: SnapshotPoint[]): void {
    for (const point of points) {
      this.group.push(point);
      if (this.group.length === this.size) this.flush();
    }
  }

  flush(): void {
    if (this.group.length === 0) return;
    this.onGroup(this.group.length === 1 ? (this.group[0] as SnapshotPoint) : mergePoints(this.group));
    this.group = [];
  }
}

/** The main chart of a window read in pages: `intervalsPerPoint` intervals merged into each point. */
export class GraphBuilder {
  private readonly points: GraphPoint[] = [];
  private readonly merger: GroupMerger;

  constructor(readonly intervalsPerPoint: number) {
    this.merger = new GroupMerger(intervalsPerPoint, (group) => this.points.push(graphPointOf(group)));
  }

  add(points: SnapshotPoint[]): void {
    this.merger.add(points);
  }

  result(): GraphPoint[] {
    this.merger.flush();
    return this.points;
  }
}

/** Every interval on its own: percentiles straight from each packed histogram (no merging needed). */
export function timeseriesPoints(points: SnapshotPoint[]): TimeseriesPoint[] {
  return points.map((point) => {
    const percentiles = intervalPercentiles(unpackHistogram(point.histogram), point.requests);
    const timed = percentiles.p50ResponseMs !== null;
    return {
      seq: point.seq,
      timestamp: point.timestamp,
      intervalMs: point.intervalMs,
      users: point.users,
      requests: point.requests,
      failures: point.failures,
      ...intervalFigures(point, point.intervalMs),
      minResponseMs: timed ? point.minResponseMs : null,
      maxResponseMs: timed ? point.maxResponseMs : null,
      ...percentiles,
    };
  });
}

/**
 * The scatter of a window read in pages: points are merged `intervalsPerColumn` at a time into
 * columns as they arrive, so that no step works on the whole window at once.
 */
export class ScatterBuilder {
  private readonly distribution = new Histogram();
  private readonly columns: { timestamp: number; responseMs: number; count: number }[] = [];
  private readonly merger: GroupMerger;

  constructor(private readonly intervalsPerColumn: number) {
    this.merger = new GroupMerger(intervalsPerColumn, (column) => {
      this.distribution.addPacked(column.histogram);
      for (const [responseMs, count] of unpackHistogram(column.histogram)) {
        this.columns.push({ timestamp: column.timestamp, responseMs, count });
      }
    });
  }

  add(points: SnapshotPoint[]): void {
    this.merger.add(points);
  }

  result(): Omit<Scatter, "runId" | "name"> {
    this.merger.flush();
    return {
      intervalsPerColumn: this.intervalsPerColumn,
      distribution: this.distribution.toPairs().map(([responseMs, count]) => ({ responseMs, count })),
      points: this.columns,
    };
  }
}
