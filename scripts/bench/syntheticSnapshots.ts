// Realistic snapshots for the benchmarks: N endpoints sharing a load, response times drawn from a
// log-normal distribution per endpoint (median 20–400 ms), bucketed the way Locust buckets them.
import type { MetricSnapshotPush, RequestSample } from "@loadmgr/shared";
import { locustBucket } from "../../test/helpers/locustReference.js";

/** A small seeded generator, so every bench run measures the same data. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 2 ** 32;
  };
}

export interface LoadShape {
  endpoints: number;
  requestsPerSec: number;
  intervalMs: number;
  /** Failures per request. */
  errorRate: number;
  /** Request samples sent per snapshot (the plugin's default: every failure and 20 successes/s). */
  samples: boolean;
}

export const DEFAULT_SHAPE: LoadShape = {
  endpoints: 20,
  requestsPerSec: 1000,
  intervalMs: 2000,
  errorRate: 0.01,
  samples: true,
};

export function syntheticSnapshot(
  runId: string,
  seq: number,
  random: () => number,
  shape: LoadShape = DEFAULT_SHAPE,
  startedAt = Date.now(),
): MetricSnapshotPush {
  const perEndpoint = Math.round((shape.requestsPerSec * shape.intervalMs) / 1000 / shape.endpoints);
  const timestamp = startedAt + seq * shape.intervalMs;
  const samples: RequestSample[] = [];
  let failuresTotal = 0;
  const endpoints = Array.from({ length: shape.endpoints }, (_, e) => {
    const median = 20 + ((e * 97) % 380);
    const histogram = new Map<number, number>();
    let sum = 0;
    let min = Number.POSITIVE_INFINITY;
    let max = 0;
    let failures = 0;
    for (let i = 0; i < perEndpoint; i++) {
      // Box–Muller: a normal draw, then log-normal around the endpoint's median.
      const normal = Math.sqrt(-2 * Math.log(1 - random())) * Math.cos(2 * Math.PI * random());
      const ms = median * Math.exp(0.5 * normal);
      sum += ms;
      min = Math.min(min, ms);
      max = Math.max(max, ms);
      const bucket = locustBucket(ms);
      histogram.set(bucket, (histogram.get(bucket) ?? 0) + 1);
      const failed = random() < shape.errorRate;
      if (failed) failures++;
      if (shape.samples && (failed || random() < (20 * shape.intervalMs) / 1000 / (perEndpoint * shape.endpoints))) {
        samples.push({
          timestamp: timestamp - shape.intervalMs + Math.floor(random() * shape.intervalMs),
          method: "GET",
          name: `/api/endpoint-${e}`,
          url: `http://127.0.0.1:8089/api/endpoint-${e}?id=${i}`,
          responseMs: Math.round(ms * 1000) / 1000,
          success: !failed,
          ...(failed ? { error: "HTTPError('503 Server Error: Service Unavailable')" } : {}),
        });
      }
    }
    failuresTotal += failures;
    return {
      method: "GET",
      name: `/api/endpoint-${e}`,
      requests: perEndpoint,
      failures,
      sumResponseMs: Math.round(sum * 1000) / 1000,
      minResponseMs: Math.round(min * 1000) / 1000,
      maxResponseMs: Math.round(max * 1000) / 1000,
      histogram: [...histogram].sort((a, b) => a[0] - b[0]),
    };
  });
  return {
    runId,
    seq,
    timestamp,
    intervalMs: shape.intervalMs,
    users: 100,
    totalRequests: seq * perEndpoint * shape.endpoints,
    totalFailures: failuresTotal * seq,
    endpoints,
    errors: endpoints
      .filter((e) => e.failures > 0)
      .map((e) => ({
        method: e.method,
        name: e.name,
        error: "HTTPError('503 Server Error')",
        occurrences: e.failures,
      })),
    requestSamples: samples,
  };
}

/**
 * Push bodies as the plugin sends them: `count` distinct snapshots (seeded), each push's patched
 * with its run id and seq, and stamped now (a run's snapshot ends at the moment it is pushed).
 */
export function snapshotBodies(count = 20, seed = 3): (runId: string, seq: number) => string {
  const random = seededRandom(seed);
  const templates = Array.from({ length: count }, (_, i) =>
    JSON.stringify(syntheticSnapshot("RUN_ID", i + 1, random, DEFAULT_SHAPE, Date.now())),
  );
  return (runId, seq) =>
    (templates[seq % templates.length] ?? "")
      .replace('"RUN_ID"', JSON.stringify(runId))
      .replace(/"seq":\d+/, `"seq":${seq}`)
      .replace(/"timestamp":\d+/, `"timestamp":${Date.now()}`);
}
