import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LiveMetrics, LoadTestRun, MetricSnapshotPush, RequestLogBatch } from "@loadmgr/shared";
import { collect, liveClient } from "./helpers/liveClient.js";
import type { LoadManagerClient } from "../client/src/index.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { createTest, startRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient } from "./helpers/server.js";
import { startServerProcess, stopServerProcess, type ServerProcess } from "./helpers/serverProcess.js";
import { eventually } from "./helpers/wait.js";

const CALLBACK_TOKEN = "fanout-callback-token-0123456789";

describe("live fan-out across two server processes sharing one Redis", () => {
  let redis: RedisServer;
  let dataDir: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let wsB: LoadManagerClient;

  before(async () => {
    redis = await startRedis();
    dataDir = mkdtempSync(join(tmpdir(), "loadmgr-fanout-"));
    const env = {
      REDIS_URL: redis.url,
      LOADMGR_DATA_DIR: dataDir,
      LOADMGR_API_TOKEN: ADMIN_TOKEN,
      LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK_TOKEN,
    };
    // Two API instances on two ports (as behind a load balancer); neither starts Locust. If one fails to
    // start, the other is stopped too: a server left running would keep this file from ever ending.
    const started = await Promise.allSettled([
      startServerProcess(env, ["--role", "api"]),
      startServerProcess(env, ["--role", "api"]),
    ]);
    const failed = started.find((s) => s.status === "rejected");
    if (failed !== undefined) {
      for (const s of started) if (s.status === "fulfilled") await stopServerProcess(s.value.child);
      throw failed.reason;
    }
    [a, b] = started.map((s) => (s as PromiseFulfilledResult<ServerProcess>).value) as [ServerProcess, ServerProcess];
    assert.notEqual(a.url, b.url);
    wsB = liveClient(b.url, ADMIN_TOKEN);
  });
  after(async () => {
    await Promise.all([a, b].filter((s) => s !== undefined).map((s) => stopServerProcess(s.child)));
    await redis?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("delivers snapshots, status changes and request samples ingested by one instance to subscribers of the other", async () => {
    const test = await createTest(restClient(a.url), "http://127.0.0.1:9", "print('not run')\n");
    const statusOnB = collect<LoadTestRun>(wsB.runs.onStatus, { loadTestId: test.id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const run = await startRun(restClient(a.url), test.id);
    const metricsOnB = collect<LiveMetrics>(wsB.runs.onMetrics, { runId: run.id, lastEventId: "0" });
    const logOnB = collect<RequestLogBatch>(wsB.runs.onRequestLog, { runId: run.id });
    await new Promise((resolve) => setTimeout(resolve, 300));

    const locustToA = restClient(a.url, CALLBACK_TOKEN);
    const snapshot = (seq: number): MetricSnapshotPush => ({
      runId: run.id,
      seq,
      timestamp: Date.now(),
      intervalMs: 1000,
      users: 3,
      totalRequests: 5 * seq,
      totalFailures: 0,
      endpoints: [
        {
          method: "GET",
          name: "/",
          requests: 5,
          failures: 0,
          sumResponseMs: 50,
          minResponseMs: 10,
          maxResponseMs: 10,
          histogram: [[10, 5]],
        },
      ],
      requestSamples: [
        { timestamp: Date.now(), method: "GET", name: "/", responseMs: 10, success: true, url: `/?seq=${seq}` },
      ],
    });
    for (const seq of [1, 2, 3]) {
      const res = await locustToA.post("/v1/internal/locust/metrics", snapshot(seq));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    await eventually(() => metricsOnB.events.length === 3, 5000, "three snapshots on the other instance");
    assert.deepEqual(
      metricsOnB.events.map((e) => e.id),
      ["1", "2", "3"],
    );
    await eventually(() => logOnB.events.length === 3, 5000, "three request-sample batches");
    assert.deepEqual(
      logOnB.events.map((e) => e.data.samples[0]?.url),
      ["/?seq=1", "/?seq=2", "/?seq=3"],
    );

    // The recent window that A's ingest kept in Redis reaches a late subscriber on B.
    const lateOnB = collect<RequestLogBatch>(wsB.runs.onRequestLog, { runId: run.id });
    await eventually(() => lateOnB.events.length === 1, 5000, "the shared recent window");
    assert.equal(lateOnB.events[0]?.data.samples.length, 3);

    const stop = await restClient(a.url).post(`/v1/runs/${run.id}/stop`);
    assert.equal(stop.status, 200);
    const ended = await locustToA.post("/v1/internal/locust/test-stop", {
      runId: run.id,
      timestamp: Date.now(),
      reason: "stopped",
    });
    assert.equal(ended.status, 200, JSON.stringify(ended.body));
    await eventually(() => metricsOnB.completed, 5000, "B's metrics subscription to end with the run");
    await eventually(() => statusOnB.events.length === 4, 5000, "four status changes on B");
    assert.deepEqual(
      statusOnB.events.map((e) => e.data.status),
      ["Pending", "Running", "Stopping", "Stopped"],
    );
    for (const received of [metricsOnB, logOnB, lateOnB, statusOnB]) assert.deepEqual(received.errors, []);
    statusOnB.stop();
  });
});
