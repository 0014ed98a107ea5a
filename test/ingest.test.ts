import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import type { LoadTestRun, MetricSnapshotPush } from "@loadmgr/shared";
import { createTest, startRun } from "./helpers/runs.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const CALLBACK_TOKEN = "locust-callback-token-0123456789";

function snapshot(runId: string, seq: number, overrides: Partial<MetricSnapshotPush> = {}): MetricSnapshotPush {
  return {
    runId,
    seq,
    timestamp: Date.now(),
    intervalMs: 2000,
    final: false,
    users: 5,
    totalRequests: 10 * seq,
    totalFailures: seq,
    endpoints: [
      {
        method: "GET",
        name: "/",
        requests: 10,
        failures: 1,
        sumResponseMs: 250,
        minResponseMs: 5,
        maxResponseMs: 90,
        histogram: [
          [5, 4],
          [20, 5],
          [90, 1],
        ],
      },
    ],
    errors: [{ method: "GET", name: "/", error: "HTTPError('500')", occurrences: 1 }],
    ...overrides,
  };
}

describe("ingest: /v1/internal/locust/*", () => {
  let server: TestServer;
  let run: LoadTestRun;
  let other: LoadTestRun;
  const admin = () => restClient(server.url);
  const as = (token: string | null) => restClient(server.url, token);
  const tokenFor = (runId: string) => server.running.services.runTokens.issue(runId);

  before(async () => {
    server = await startTestServer({ security: { locustCallbackToken: CALLBACK_TOKEN } });
  });
  after(() => server.close());
  beforeEach(async () => {
    const test = await createTest(admin(), "http://127.0.0.1:9", "print('not run')\n");
    run = await startRun(admin(), test.id);
    other = await startRun(admin(), test.id);
  });

  /** Asserts the run and its snapshots are as they were. */
  async function unchanged(before: LoadTestRun, snapshots = 0): Promise<void> {
    assert.deepEqual(await server.store.runs.get(before.id), before);
    assert.equal((await server.metricsStore.listMetricSnapshots(before.id)).length, snapshots);
  }

  it("moves a run to Running on test-start and stores snapshots with lastMetrics", async () => {
    const locust = as(tokenFor(run.id));
    const start = await locust.post("/v1/internal/locust/test-start", { runId: run.id, timestamp: Date.now() });
    assert.equal(start.status, 200, JSON.stringify(start.body));
    assert.equal(start.body.status, "Running");
    const push = await locust.post("/v1/internal/locust/metrics", snapshot(run.id, 1));
    assert.equal(push.status, 200);
    // (load: null: nobody changed the run's load while it ran; see lifecycle's steering test.)
    assert.deepEqual(push.body, { ok: true, status: "Running", duplicate: false, load: null });
    const stored = await server.store.runs.get(run.id);
    assert.equal(stored?.lastMetrics?.requestsPerSec, 5);
    assert.equal(stored?.lastMetrics?.avgResponseMs, 25);
    assert.equal(stored?.lastMetrics?.totalRequests, 10);
  });

  it("stores a resent seq once and leaves lastMetrics on the newest snapshot", async () => {
    const locust = as(tokenFor(run.id));
    await locust.post("/v1/internal/locust/metrics", snapshot(run.id, 1));
    await locust.post("/v1/internal/locust/metrics", snapshot(run.id, 2));
    const before = (await server.store.runs.get(run.id)) as LoadTestRun;
    const again = await locust.post("/v1/internal/locust/metrics", snapshot(run.id, 1, { totalRequests: 999 }));
    assert.equal(again.status, 200);
    assert.equal(again.body.duplicate, true);
    await unchanged(before, 2);
    assert.equal(before.lastMetrics?.seq, 2);
  });

  it("maps test-stop reasons to Finished, Stopped and Failed", async () => {
    for (const [reason, status] of [
      ["duration", "Finished"],
      ["stopped", "Stopped"],
      ["error", "Failed"],
    ] as const) {
      const test = await createTest(admin(), "http://127.0.0.1:9", "print(1)\n");
      const r = await startRun(admin(), test.id);
      const res = await as(tokenFor(r.id)).post("/v1/internal/locust/test-stop", {
        runId: r.id,
        timestamp: Date.now(),
        reason,
        message: "workers lost",
      });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const stored = await server.store.runs.get(r.id);
      assert.equal(stored?.status, status);
      assert.equal(stored?.failureReason, status === "Failed" ? "workers lost" : null);
    }
  });

  it("accepts the deployment's Locust callback token for any run", async () => {
    const res = await as(CALLBACK_TOKEN).post("/v1/internal/locust/metrics", snapshot(run.id, 1));
    assert.equal(res.status, 200);
  });

  for (const [what, token] of [
    ["no token", null],
    ["a wrong token", "lmr_not-the-right-token"],
    ["the admin API token", "test-admin-token-0123456789"],
  ] as const) {
    it(`refuses ${what} with 401 and changes nothing`, async () => {
      const res = await as(token).post("/v1/internal/locust/metrics", snapshot(run.id, 1));
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "UNAUTHORIZED");
      await unchanged(run);
    });
  }

  it("refuses one run's token for another run", async () => {
    const res = await as(tokenFor(other.id)).post("/v1/internal/locust/metrics", snapshot(run.id, 1));
    assert.equal(res.status, 401);
    await unchanged(run);
  });

  it("answers 404 for an unknown run", async () => {
    const res = await as(CALLBACK_TOKEN).post("/v1/internal/locust/metrics", snapshot("no-such-run", 1));
    assert.equal(res.status, 404);
    assert.equal(res.body.code, "RUN_NOT_FOUND");
    assert.equal(res.body.field, "runId");
  });

  it("answers 409 RUN_FINISHED for a run that has ended, storing nothing", async () => {
    const locust = as(tokenFor(run.id));
    await locust.post("/v1/internal/locust/test-stop", { runId: run.id, timestamp: Date.now(), reason: "duration" });
    const ended = (await server.store.runs.get(run.id)) as LoadTestRun;
    for (const [path, body] of [
      ["metrics", snapshot(run.id, 1)],
      ["test-start", { runId: run.id, timestamp: Date.now() }],
      ["test-stop", { runId: run.id, timestamp: Date.now(), reason: "stopped" }],
    ] as const) {
      const res = await locust.post(`/v1/internal/locust/${path}`, body);
      assert.equal(res.status, 409, path);
      assert.equal(res.body.code, "RUN_FINISHED");
    }
    await unchanged(ended);
  });

  const bad: [string, (id: string) => unknown, string][] = [
    ["a negative count", (id) => snapshot(id, 1, { totalRequests: -1 }), "totalRequests"],
    ["a fractional count", (id) => snapshot(id, 1, { users: 1.5 }), "users"],
    ["seq 0", (id) => snapshot(id, 0), "seq"],
    ["an interval of 0 ms", (id) => snapshot(id, 1, { intervalMs: 0 }), "intervalMs"],
    [
      "a response time over a day",
      (id) => ({ ...snapshot(id, 1), endpoints: [{ ...snapshot(id, 1).endpoints[0], maxResponseMs: 1e12 }] }),
      "endpoints.0.maxResponseMs",
    ],
    ...(
      [
        ["a histogram bucket that is not a pair", [[5, 4], [20]]],
        [
          "a histogram count of 0",
          [
            [5, 4],
            [20, 0],
          ],
        ],
        [
          "a fractional histogram bucket",
          [
            [5, 4],
            [20.5, 1],
          ],
        ],
        ["a negative histogram bucket", [[-1, 4]]],
        ["a histogram bucket over a day", [[86_400_001, 4]]],
      ] as const
    ).map(([what, histogram]): [string, (id: string) => unknown, string] => [
      what,
      (id) => ({ ...snapshot(id, 1), endpoints: [{ ...snapshot(id, 1).endpoints[0], histogram }] }),
      `endpoints.0.histogram.${histogram.length - 1}`,
    ]),
    [
      "a histogram that is not a list",
      (id) => ({ ...snapshot(id, 1), endpoints: [{ ...snapshot(id, 1).endpoints[0], histogram: { 5: 4 } }] }),
      "endpoints.0.histogram",
    ],
    [
      "a request sample without a name",
      (id) => ({
        ...snapshot(id, 1),
        requestSamples: [{ timestamp: 1, method: "GET", name: "", responseMs: 1, success: true }],
      }),
      "requestSamples.0.name",
    ],
    ["an unknown field", (id) => ({ ...snapshot(id, 1), extra: 1 }), ""],
    ["a stop reason outside the list", (id) => ({ runId: id, timestamp: 1, reason: "bored" }), "reason"],
  ];
  for (const [what, body, field] of bad) {
    it(`refuses ${what} with 400 and changes nothing`, async () => {
      const payload = body(run.id) as { reason?: string };
      const path = payload.reason !== undefined ? "test-stop" : "metrics";
      const res = await as(tokenFor(run.id)).post(`/v1/internal/locust/${path}`, payload);
      assert.equal(res.status, 400, JSON.stringify(res.body));
      if (field) assert.equal(res.body.field, field);
      await unchanged(run);
    });
  }

  it("refuses a non-finite number (1e999 parses to Infinity) with 400", async () => {
    const text = JSON.stringify(snapshot(run.id, 1)).replace('"sumResponseMs":250', '"sumResponseMs":1e999');
    const res = await as(tokenFor(run.id)).post("/v1/internal/locust/metrics", text);
    assert.equal(res.status, 400);
    await unchanged(run);
  });

  it("refuses a payload over the size limit with 413", async () => {
    const huge = snapshot(run.id, 1, {
      errors: [{ method: "GET", name: "/", error: "x".repeat(17_000_000), occurrences: 1 }],
    });
    const res = await as(tokenFor(run.id)).post("/v1/internal/locust/metrics", huge);
    assert.equal(res.status, 413);
    await unchanged(run);
  });

  it("leaves the ingest paths out of the public OpenAPI document", async () => {
    const doc = (await admin().get<{ paths: Record<string, unknown> }>("/openapi.json")).body;
    assert.ok(!Object.keys(doc.paths).some((p) => p.includes("/internal/")));
  });
});
