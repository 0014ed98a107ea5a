import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { EventSource } from "eventsource";
import type { LiveMetrics, LoadTestRun } from "@loadmgr/shared";
import { quickstart } from "../examples/quickstart.js";
import { startTargetApp, type TargetApp } from "../../test/fixtures/targetApp.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "../../test/helpers/server.js";
import { eventually } from "../../test/helpers/wait.js";
import { createLoadManagerClient } from "./index.js";

const ROOT = join(import.meta.dirname, "../..");

describe("typed client", () => {
  let target: TargetApp;
  let server: TestServer;
  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
  });
  after(async () => {
    await server.close();
    await target.close();
  });

  it("runs the README's quickstart against a real server and real Locust", async () => {
    const result = await quickstart({
      url: server.url,
      token: ADMIN_TOKEN,
      target: target.url,
      locustfile: join(ROOT, "locust/examples/locustfile.py"),
    });
    assert.ok(result.seen.length >= 3, JSON.stringify(result.seen));
    assert.deepEqual(
      result.seen,
      [...result.seen].sort((a, b) => a - b),
    );
    assert.equal(result.summary.status, "Stopped");
    assert.ok(result.summary.totalRequests > 0);
    assert.equal(result.summary.revisionNumber, 1);
    assert.ok((target.hits.get("/") ?? 0) > 0, "Locust sent load to the target");
  });

  it("is the code the README shows", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf-8");
    const example = readFileSync(join(ROOT, "client/examples/quickstart.ts"), "utf-8");
    assert.ok(readme.includes(example.trim()), "README's quickstart block differs from client/examples/quickstart.ts");
  });

  it("falls back to SSE for subscriptions where there is no WebSocket, and reports errors typed", async () => {
    const client = createLoadManagerClient({ url: server.url, token: ADMIN_TOKEN, EventSource });
    const test = await client.loadTests.create.mutate({
      name: "sse",
      accountId: "acme",
      orgId: "web",
      projectId: "shop",
      targetUrl: "http://127.0.0.1:9",
      scriptContent: Buffer.from("print('not run')\n").toString("base64"),
    });
    const run: LoadTestRun = await client.runs.create.mutate({ id: test.id, durationSec: 60 });
    const events: LiveMetrics[] = [];
    const subscription = client.runs.onMetrics.subscribe(
      { runId: run.id, lastEventId: "0" },
      { onData: ({ data }) => events.push(data) },
    );
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const push = await locust.post("/v1/internal/locust/metrics", {
      runId: run.id,
      seq: 1,
      timestamp: Date.now(),
      intervalMs: 1000,
      users: 1,
      totalRequests: 2,
      totalFailures: 0,
      endpoints: [
        {
          method: "GET",
          name: "/",
          requests: 2,
          failures: 0,
          sumResponseMs: 10,
          minResponseMs: 5,
          maxResponseMs: 5,
          histogram: [[5, 2]],
        },
      ],
    });
    assert.equal(push.status, 200);
    await eventually(() => events.length === 1, 5000, "the snapshot over SSE");
    assert.equal(events[0]?.requestsPerSec, 2);
    subscription.unsubscribe();
    await client.runs.stop.mutate({ id: run.id });

    await assert.rejects(
      client.runs.get.query({ id: "no-such-run" }),
      (error: Error & { data?: { appCode?: string } }) => {
        assert.equal(error.data?.appCode, "RUN_NOT_FOUND");
        return true;
      },
    );
  });
});
