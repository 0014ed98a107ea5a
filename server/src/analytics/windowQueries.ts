import { WindowStats, type Aggregate, type GraphPoint, type Scatter, type TimeseriesPoint } from "@loadmgr/shared";
import type { MetricsStore } from "../metrics/metricsStore.js";
import { requestRows } from "./runStats.js";
import { GraphBuilder, graphPoints, intervalsPerPoint, ScatterBuilder, timeseriesPoints } from "./series.js";
import { checkWindowSize, pointPages, snapshotPages } from "./windowReads.js";

/**
 * The reads of a window of a run's snapshots: the heavy ones, which the server runs where they cannot
 * hold its event loop (windowReader.ts: a worker thread with its own store connection). Each takes
 * and returns plain data, so that it can run in either place.
 */

interface WindowInput {
  runId: string;
  from?: number | undefined;
  to?: number | undefined;
}

export function aggregateOf(runId: string, name: string | undefined, stats: WindowStats): Aggregate {
  return {
    runId,
    name: name ?? null,
    from: stats.from,
    to: stats.to,
    snapshots: stats.snapshots,
    measuredSec: stats.activeMs / 1000,
    measuredSeconds: stats.activeMs / 1000,
    users: stats.users,
    maxUsers: stats.maxUsers,
    ...requestRows(stats),
    errors: [...stats.errors.values()].sort((a, b) => b.occurrences - a.occurrences),
  };
}

export const WINDOW_QUERIES = {
  /** One page of the time series: at most `limit` points after `afterSeq`, and where the next page starts. */
  timeseries: async (
    store: MetricsStore,
    input: WindowInput & { afterSeq?: number | undefined; name?: string | undefined; limit: number },
  ): Promise<{ points: TimeseriesPoint[]; nextAfterSeq: number | null }> => {
    const { runId, from, to, afterSeq, name, limit } = input;
    const points: TimeseriesPoint[] = [];
    for await (const page of pointPages(store, runId, { from, to, afterSeq }, name, limit + 1)) {
      points.push(...timeseriesPoints(page));
    }
    const more = points.length > limit;
    if (more) points.length = limit;
    return { points, nextAfterSeq: more ? (points.at(-1)?.seq ?? null) : null };
  },

  /** The response-time scatter of a window of at most MAX_WINDOW_SNAPSHOTS snapshots. */
  scatter: async (
    store: MetricsStore,
    input: WindowInput & { name?: string | undefined; maxColumns: number },
  ): Promise<Omit<Scatter, "runId" | "name">> => {
    const { runId, from, to, name, maxColumns } = input;
    const size = await checkWindowSize(store, runId, { from, to });
    const scatter = new ScatterBuilder(intervalsPerPoint(size, maxColumns));
    for await (const page of pointPages(store, runId, { from, to }, name)) scatter.add(page);
    return scatter.result();
  },

  /** Totals per endpoint of a window of at most MAX_WINDOW_SNAPSHOTS snapshots. */
  aggregate: async (store: MetricsStore, input: WindowInput & { name?: string | undefined }): Promise<Aggregate> => {
    const { runId, from, to, name } = input;
    await checkWindowSize(store, runId, { from, to });
    const stats = new WindowStats(name);
    for await (const page of snapshotPages(store, runId, { from, to })) {
      for (const snapshot of page) stats.addSnapshot(snapshot);
    }
    return aggregateOf(runId, name, stats);
  },

  /**
   * The main chart, merged into at most `maxPoints`. A whole run is merged by seq ranges of the size
   * the store reads cheaply (SQLite answers multiples of its blocks from pre-merged rows, so the read
   * is small whatever the run's length); a window (any length: chart rows only) is read a page at a
   * time and merged as the pages arrive. One endpoint name's chart reads whole snapshots, so its window
   * holds at most MAX_WINDOW_SNAPSHOTS.
   */
  graph: async (
    store: MetricsStore,
    input: WindowInput & { name?: string | undefined; maxPoints: number; lastSeq: number },
  ): Promise<{ intervalsPerPoint: number; lastSeq: number; points: GraphPoint[] }> => {
    const { runId, from, to, name, maxPoints } = input;
    if (name !== undefined) {
      const size = await checkWindowSize(store, runId, { from, to });
      const graph = new GraphBuilder(intervalsPerPoint(size, maxPoints));
      for await (const page of pointPages(store, runId, { from, to }, name)) graph.add(page);
      const points = graph.result();
      return { intervalsPerPoint: graph.intervalsPerPoint, lastSeq: points.at(-1)?.seq ?? 0, points };
    }
    if (from === undefined && to === undefined) {
      const groupSeqs = store.chartGroupSeqs(intervalsPerPoint(input.lastSeq, maxPoints));
      const points = await store.listSnapshotPoints(runId, {}, groupSeqs);
      return {
        intervalsPerPoint: groupSeqs * intervalsPerPoint(points.length, maxPoints),
        lastSeq: points.at(-1)?.seq ?? 0,
        points: graphPoints(points, maxPoints),
      };
    }
    const count = await store.countMetricSnapshots(runId, { from, to });
    const graph = new GraphBuilder(intervalsPerPoint(count, maxPoints));
    for await (const page of pointPages(store, runId, { from, to }, undefined, count)) graph.add(page);
    const points = graph.result();
    return { intervalsPerPoint: graph.intervalsPerPoint, lastSeq: points.at(-1)?.seq ?? 0, points };
  },
};

export type WindowQueries = typeof WINDOW_QUERIES;
export type WindowQuery = keyof WindowQueries;
export type WindowQueryInput<K extends WindowQuery> = Parameters<WindowQueries[K]>[1];
export type WindowQueryResult<K extends WindowQuery> = Awaited<ReturnType<WindowQueries[K]>>;
