import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventSource } from "eventsource";
import type { LiveMetrics, LoadTestRun, Page, Schedule } from "@loadmgr/shared";
import { createLoadManagerClient } from "../client/src/index.js";
import { hangingScript, startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { startMongoWireServer } from "./helpers/ferretdb.js";
import { collect } from "./helpers/liveClient.js";
import { freePort } from "./helpers/ports.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { createTest, ended, locustPrintedTotals, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const RUNNER = { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 0 } };
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
/** Far beyond a request's time on a loaded machine; a request waiting on a frozen Redis never answers. */
const WAITED_ON_REDIS_MS = 90_000;
const answered = async <T>(request: Promise<T>, what: string): Promise<T> => {
  let timer: NodeJS.Timeout | undefined;
  const never = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} waited on the frozen Redis`)), WAITED_ON_REDIS_MS);
  });
  try {
    return await Promise.race([request, never]);
  } finally {
    clearTimeout(timer);
  }
};

describe("faults on the production stack: Redis restarted without persistence, and down", () => {
  let target: TargetApp;
  let mongo: Awaited<ReturnType<typeof startMongoWireServer>>;
  let redis: RedisServer;
  let redisPort: number;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  const restartRedis = async (downMs = 0): Promise<void> => {
    await redis.stop();
    await sleep(downMs);
    redis = await startRedis({ port: redisPort });
  };

  before(async () => {
    target = await startTargetApp();
    mongo = await startMongoWireServer();
    redisPort = await freePort();
    redis = await startRedis({ port: redisPort });
    server = await startTestServer(
      {
        mongodb: { uri: mongo.uri, database: "faults_redis" },
        redis: { url: redis.url },
        runner: RUNNER,
        schedules: { minIntervalSec: 1 },
      },
      { role: "all" },
    );
    api = restClient(server.url);
  });
  after(async () => {
    await server.close();
    await redis.stop();
    await mongo.stop();
    await target.close();
  });

  it("still fails a hung run and still stops a healthy one after Redis lost every job", async () => {
    const hungTest = await createTest(api, target.url, hangingScript("/hang"));
    const healthyTest = await createTest(api, target.url, locustScript("/healthy"));
    const hung = await startRun(api, hungTest.id, { durationSec: 120 });
    const healthy = await startRun(api, healthyTest.id, { durationSec: 120 });
    await waitForRun(api, hung.id, (r) => r.status === "Running");
    await waitForRun(api, healthy.id, reporting);
    // A cron schedule ticking every 2 s (its first run lasts; the ticks after it are skipped, and recorded).
    const scheduledTest = await createTest(api, target.url, locustScript("/scheduled"));
    const made = await api.post<Schedule>(`/v1/load-tests/${scheduledTest.id}/schedules`, {
      cron: "*/2 * * * * *",
      overrides: { durationSec: 120 },
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    const schedule = made.body;
    // The sweep's scheduler, the runs' guard jobs and the cron schedulers were in Redis; this one starts empty.
    await restartRedis();
    const restartedAt = Date.now();
    let ticked = schedule;
    for (let tries = 0; (ticked.ticks[0]?.at ?? 0) <= restartedAt + 1000; tries++) {
      assert.ok(tries < 100, `no tick after Redis restarted: ${JSON.stringify(ticked.ticks.slice(0, 3))}`);
      await sleep(200);
      const read = await api.get<Schedule>(`/v1/schedules/${schedule.id}`);
      if (read.status === 200) ticked = read.body;
    }
    assert.ok((ticked.nextRunAt ?? 0) > Date.now() - 2000, `next run ${ticked.nextRunAt ?? "none"}`);
    assert.equal((await api.del(`/v1/schedules/${schedule.id}`)).status, 200);
    for (const started of (await api.get<Page<LoadTestRun>>(`/v1/runs?loadTestId=${scheduledTest.id}`)).body.items) {
      await api.post(`/v1/runs/${started.id}/stop`);
      await waitForRun(api, started.id, ended, 30_000);
    }
    const failed = await waitForRun(api, hung.id, ended, 45_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /no metrics from Locust/);
    const stop = await api.post<LoadTestRun>(`/v1/runs/${healthy.id}/stop`);
    assert.equal(stop.status, 200);
    const stopped = await waitForRun(api, healthy.id, ended, 30_000);
    assert.equal(stopped.status, "Stopped", stopped.failureReason ?? "");
    assert.equal(stopped.lastMetrics?.totalRequests, (await locustPrintedTotals(runDir(server, healthy.id))).requests);
  });

  it("answers while Redis is down: a run created then starts once it is back; ingest and SSE miss nothing", async () => {
    const test = await createTest(api, target.url, locustScript("/through-outage"));
    const client = createLoadManagerClient({
      url: server.url,
      token: ADMIN_TOKEN,
      EventSource,
      retryDelayMs: () => 200,
    });
    const running = await startRun(api, test.id, { durationSec: 26 });
    await waitForRun(api, running.id, reporting);
    const watched = collect<LiveMetrics>(client.runs.onMetrics, { runId: running.id, lastEventId: "0" });
    const statuses = collect<LoadTestRun>(client.runs.onStatus, { loadTestId: test.id });
    await eventually(() => watched.events.length >= 2, 15_000, "the first live snapshots");

    // Redis frozen: every connection open, nothing answered. A request that waited on it would never
    // answer (not the 11-43 s it once took, until ioredis gave up); the bound below is only how long the
    // test waits to say so.
    redis.freeze();
    // Prometheus still gets the server's figures: the queue's are left out, and queue_up says why.
    const scrape = await fetch(`${server.url}/metrics`, { signal: AbortSignal.timeout(WAITED_ON_REDIS_MS) });
    assert.equal(scrape.status, 200);
    const figures = await scrape.text();
    assert.match(figures, /^loadmgr_queue_up 0$/m);
    assert.doesNotMatch(figures, /^loadmgr_queue_jobs\{/m);
    assert.match(figures, /^loadmgr_runs\{status="Running"\} [1-9]\d*$/m);
    // The run is stored, and its start job is queued when Redis answers (or by the sweep).
    const created = await answered(
      api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, { durationSec: 3 }),
      "POST …/runs",
    );
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await redis.stop();
    // A run created and stopped while the fan-out is down: neither change can be published.
    const unseen = await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, { durationSec: 3 });
    assert.equal(unseen.status, 201, JSON.stringify(unseen.body));
    const stopped = await api.post<LoadTestRun>(`/v1/runs/${unseen.body.id}/stop`);
    assert.equal(stopped.body.status, "Stopped");
    // Long enough that the fan-out's publishes held meanwhile are given up (ioredis: 20 retries, ~11 s).
    await sleep(13_000);
    redis = await startRedis({ port: redisPort });
    for (let tries = 0; !/^loadmgr_queue_up 1$/m.test(await (await fetch(`${server.url}/metrics`)).text()); tries++) {
      assert.ok(tries < 75, "the queue is up again in /metrics");
      await sleep(200);
    }

    const first = await waitForRun(api, running.id, ended, 60_000);
    assert.equal(first.status, "Finished", first.failureReason ?? "");
    const late = await waitForRun(api, created.body.id, ended, 60_000);
    assert.equal(late.status, "Finished", late.failureReason ?? "");

    // Every stored snapshot reached the subscriber, once each, in order, and its stream ended.
    await eventually(() => watched.completed, 15_000, "the subscription to end with the run");
    const stored = (await server.metricsStore.listMetricSnapshots(running.id)).map((s) => s.seq);
    assert.deepEqual(
      watched.events.map((e) => e.data.seq),
      stored,
    );
    assert.deepEqual(
      stored,
      Array.from({ length: stored.length }, (_, i) => i + 1),
    );
    assert.equal(first.lastMetrics?.totalRequests, (await locustPrintedTotals(runDir(server, running.id))).requests);
    watched.stop();
    // The status subscriber got both from the store once the fan-out was back, each change once.
    await eventually(
      () => statuses.events.some((e) => e.data.id === unseen.body.id && e.data.status === "Stopped"),
      15_000,
      "the status subscriber to learn of the run stopped during the outage",
    );
    const seen = statuses.events.map((e) => `${e.data.id} ${e.data.status} ${e.data.updatedAt}`);
    assert.equal(new Set(seen).size, seen.length, seen.join("\n"));
    assert.ok(statuses.events.some((e) => e.data.id === created.body.id && e.data.status === "Finished"));
    statuses.stop();
  });
});

describe("faults on the production stack: the store away longer than the silence window", () => {
  let target: TargetApp;
  let mongoDir: string;
  let mongoPort: number;
  let mongo: Awaited<ReturnType<typeof startMongoWireServer>>;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;

  before(async () => {
    target = await startTargetApp();
    mongoDir = mkdtempSync(join(tmpdir(), "loadmgr-ferretdb-outage-"));
    mongoPort = await freePort();
    mongo = await startMongoWireServer({ port: mongoPort, dir: mongoDir });
    server = await startTestServer(
      { mongodb: { uri: mongo.uri, database: "faults_store" }, runner: RUNNER },
      { role: "all" },
    );
    api = restClient(server.url);
  });
  after(async () => {
    await server.close();
    await mongo.stop();
    await target.close();
    rmSync(mongoDir, { recursive: true, force: true });
  });

  it("keeps a healthy run, answers 503 meanwhile, and stores every snapshot Locust buffered", async () => {
    const test = await createTest(api, target.url, locustScript("/store-outage"));
    const run = await startRun(api, test.id, { durationSec: 40 });
    await waitForRun(api, run.id, reporting);

    await mongo.stop();
    // Longer than the silence window (3 intervals + 10 s = 13 s).
    const read = await api.get<{ code: string }>(`/v1/runs/${run.id}`);
    assert.equal(read.status, 503, JSON.stringify(read.body));
    assert.equal(read.body.code, "STORE_UNAVAILABLE");
    // A live subscription opened meanwhile says the same (in its stream: it is an SSE answer), not a 500.
    const { ticket } = (await api.post<{ ticket: string }>("/v1/live-tickets")).body;
    const input = encodeURIComponent(JSON.stringify({ json: { runId: run.id } }));
    const params = encodeURIComponent(JSON.stringify({ ticket }));
    const stream = await fetch(`${server.url}/trpc/runs.onMetrics?input=${input}&connectionParams=${params}`, {
      headers: { accept: "text/event-stream" },
      signal: AbortSignal.timeout(10_000),
    });
    let said = "";
    const reader = (stream.body as ReadableStream<Uint8Array> | null)?.getReader();
    while (reader !== undefined && !said.includes("event: serialized-error")) {
      const chunk = await reader.read();
      if (chunk.done) break;
      said += new TextDecoder().decode(chunk.value);
    }
    await reader?.cancel();
    assert.match(said, /event: serialized-error\ndata: .*STORE_UNAVAILABLE/);
    await sleep(18_000);
    mongo = await startMongoWireServer({ port: mongoPort, dir: mongoDir });

    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    const totals = await locustPrintedTotals(runDir(server, run.id));
    assert.equal(done.lastMetrics?.totalRequests, totals.requests);
    const stored = await server.metricsStore.listMetricSnapshots(run.id);
    const sum = stored.flatMap((s) => s.endpoints).reduce((n, e) => n + e.requests, 0);
    assert.equal(sum, totals.requests, "the snapshots sent during the outage were stored after it");
    assert.deepEqual(
      stored.map((s) => s.seq),
      Array.from({ length: stored.length }, (_, i) => i + 1),
    );
    // Taken on time while the server could not store them (a push then waits 5 s for the store and is
    // refused): each covers about one interval, so the charts are as fine during the outage as around it.
    const spans = stored.slice(0, -1).map((s) => s.intervalMs);
    assert.ok(
      spans.every((ms) => ms <= 3000),
      `snapshot spans (ms): ${spans.join(" ")}`,
    );
  });
});

/** This process's open-file limits (soft, hard), from /proc. */
function openFileLimits(): [string, string] {
  const line = readFileSync("/proc/self/limits", "utf-8")
    .split("\n")
    .find((l) => l.startsWith("Max open files"));
  const [soft = "unlimited", hard = "unlimited"] = line?.split(/\s{2,}/).slice(1, 3) ?? [];
  return [soft, hard];
}

describe("a server short of file handles", () => {
  let target: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: RUNNER }, { role: "all" });
    api = restClient(server.url);
  });
  after(async () => {
    await server.close();
    await target.close();
  });

  it("fails no healthy run while it can open nothing (EMFILE) for longer than the silence windows; the run finishes with every snapshot", async () => {
    const test = await createTest(api, target.url, locustScript("/starved"));
    const run = await startRun(api, test.id, { durationSec: 40 });
    await waitForRun(api, run.id, (r) => reporting(r) && (r.lastMetrics?.totalRequests ?? 0) > 0);
    // The server is this process: give it few handles, then take every one left (as 21,000 connections to
    // its port would), for 20 s: past the agents' silence window (3 intervals + 10 s = 13 s) and the runs'.
    const [soft, hard] = openFileLimits();
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=4096:${hard}`]);
    const held: number[] = [];
    try {
      for (;;) held.push(openSync("/dev/null", "r"));
    } catch (error) {
      assert.equal((error as NodeJS.ErrnoException).code, "EMFILE");
    }
    const starvedAt = Date.now();
    await sleep(20_000);
    const during = await server.store.runs.get(run.id);
    for (const fd of held) closeSync(fd);
    execFileSync("prlimit", ["--pid", String(process.pid), `--nofile=${soft}:${hard}`]);
    assert.ok(held.length > 0 && Date.now() - starvedAt >= 20_000);
    assert.equal(during?.status, "Running", `while starved: ${during?.status ?? "?"} ${during?.failureReason ?? ""}`);

    const end = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(end.status, "Finished", end.failureReason ?? "");
    const snapshots = await server.metricsStore.listMetricSnapshots(run.id);
    assert.deepEqual(
      snapshots.map((s) => s.seq),
      snapshots.map((_, i) => i + 1),
      "every snapshot, the ones held back while the server was starved included",
    );
    assert.equal(snapshots.at(-1)?.final, true);
    assert.equal(end.lastMetrics?.totalRequests, (await locustPrintedTotals(runDir(server, run.id))).requests);
  });
});
