import assert from "node:assert/strict";
import type { MetricSnapshotPush } from "@loadmgr/shared";
import { restClient, type TestServer } from "./server.js";

/**
 * A synthetic snapshot: seq users, 10 requests to GET / per second, each taking seq ms. Timed from
 * `base` (the server takes reports timed within the run's life: from 5 minutes before its creation
 * to a minute ahead of the server's clock), half a second apart so hundreds fit.
 */
export function snapshot(
  runId: string,
  seq: number,
  extra: Partial<MetricSnapshotPush> = {},
  base = Date.now() - 240_000,
): MetricSnapshotPush {
  return {
    runId,
    seq,
    timestamp: base + seq * 500,
    intervalMs: 1000,
    users: seq,
    totalRequests: 10 * seq,
    totalFailures: 0,
    endpoints: [
      {
        method: "GET",
        name: "/",
        requests: 10,
        failures: 0,
        sumResponseMs: 10 * seq,
        minResponseMs: seq,
        maxResponseMs: seq,
        histogram: [[seq, 10]],
      },
    ],
    ...extra,
  };
}

/** Pushes snapshots for a run as its Locust plugin would. */
export function pusher(server: TestServer, runId: string) {
  const locust = restClient(server.url, server.running.services.runTokens.issue(runId));
  const base = Date.now() - 240_000;
  return {
    metrics: async (seq: number, extra: Partial<MetricSnapshotPush> = {}) => {
      const res = await locust.post("/v1/internal/locust/metrics", snapshot(runId, seq, extra, base));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    },
    stop: async () => {
      const res = await locust.post("/v1/internal/locust/test-stop", {
        runId,
        timestamp: Date.now(),
        reason: "duration",
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    },
  };
}
