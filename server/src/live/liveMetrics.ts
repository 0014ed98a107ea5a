import {
  intervalFigures,
  intervalPercentiles,
  requestStatsRow,
  WindowStats,
  type LiveMetrics,
  type MetricSnapshot,
} from "@loadmgr/shared";

/** Every subscriber of a run gets the same message object: the figures are worked out once per snapshot. */
const computed = new WeakMap<MetricSnapshot, LiveMetrics>();

/** A snapshot as live subscribers get it (the same whether it was just ingested or replayed from the store). */
export function liveMetricsOf(snapshot: MetricSnapshot): LiveMetrics {
  let live = computed.get(snapshot);
  if (live === undefined) {
    live = compute(snapshot);
    computed.set(snapshot, live);
  }
  return live;
}

function compute(snapshot: MetricSnapshot): LiveMetrics {
  const interval = new WindowStats();
  interval.addSnapshot(snapshot);
  const seconds = snapshot.intervalMs / 1000;
  const total = interval.total();
  const { requestsPerSec, failuresPerSec, avgResponseMs } = intervalFigures(total, snapshot.intervalMs);
  return {
    runId: snapshot.runId,
    seq: snapshot.seq,
    timestamp: snapshot.timestamp,
    intervalMs: snapshot.intervalMs,
    final: snapshot.final,
    users: snapshot.users,
    requestsPerSec,
    failuresPerSec,
    avgResponseMs,
    ...intervalPercentiles(total.histogram.toPairs(), total.requests),
    totalRequests: snapshot.totalRequests,
    totalFailures: snapshot.totalFailures,
    endpoints: interval.sortedEndpoints().map((totals) => requestStatsRow(totals, seconds)),
    errors: [...interval.errors.values()],
  };
}
