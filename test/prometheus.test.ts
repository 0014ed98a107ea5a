import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const METRICS_TOKEN = "prometheus-scrape-token-0123";

/** The value of one sample of Prometheus's text format (`name{labels} value`), or undefined. */
function sample(text: string, name: string, labels = ""): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(`${name}${labels === "" ? " " : `{${labels}} `}`));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
}

describe("Prometheus /metrics, scraped after a real run", () => {
  let target: TargetApp;
  let server: TestServer;

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer(
      { server: { metricsToken: METRICS_TOKEN }, runner: { metricsIntervalSec: 1, local: { workers: 0 } } },
      { role: "all" },
    );
  });
  after(async () => {
    await server.close();
    await target.close();
  });

  const scrape = async (token: string | undefined): Promise<Response> =>
    fetch(`${server.url}/metrics`, token === undefined ? {} : { headers: { authorization: `Bearer ${token}` } });

  it("needs the metrics token when one is configured", async () => {
    const without = await scrape(undefined);
    assert.equal(without.status, 401);
    assert.equal(((await without.json()) as { code: string }).code, "UNAUTHORIZED");
    assert.equal((await scrape("wrong-token-0123456789")).status, 401);
  });

  it("counts runs by status, ingest pushes with their latency, jobs, store operations and the event loop", async () => {
    const api = restClient(server.url);
    const test = await createTest(api, target.url, locustScript("/scraped"));
    const run = await startRun(api, test.id, { durationSec: 3 });
    const done = await waitForRun(api, run.id, ended);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    const snapshots = (await server.metricsStore.listMetricSnapshots(run.id)).length;
    // A push its body's check refuses is timed too: from the request's arrival, not from its handler.
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    assert.equal((await locust.post("/v1/internal/locust/metrics", { runId: run.id, seq: "one" })).status, 400);

    const res = await scrape(METRICS_TOKEN);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain/);
    const text = await res.text();
    assert.equal(sample(text, "loadmgr_runs", 'status="Finished"'), 1);
    assert.equal(sample(text, "loadmgr_runs", 'status="Running"'), 0);
    assert.equal(sample(text, "loadmgr_ingest_pushes_total", 'outcome="added"'), snapshots);
    // Every push is timed, whatever became of it (a resend after a slow answer is a duplicate; the
    // refused body above never reached the handler that counts outcomes).
    const pushes = ["added", "duplicate", "refused"]
      .map((outcome) => sample(text, "loadmgr_ingest_pushes_total", `outcome="${outcome}"`) ?? 0)
      .reduce((a, b) => a + b, 0);
    assert.equal(sample(text, "loadmgr_ingest_push_duration_seconds_count"), pushes + 1);
    assert.ok((sample(text, "loadmgr_job_duration_seconds_count", 'job="run.start",outcome="ok"') ?? 0) >= 1);
    assert.ok((sample(text, "loadmgr_job_duration_seconds_count", 'job="runs.sweep",outcome="ok"') ?? 0) >= 1);
    assert.ok(
      (sample(text, "loadmgr_store_operation_duration_seconds_count", 'operation="addMetricSnapshot"') ?? 0) >=
        snapshots,
    );
    for (const state of ["waiting", "delayed", "active"]) {
      assert.notEqual(sample(text, "loadmgr_queue_jobs", `state="${state}"`), undefined, state);
    }
    assert.equal(sample(text, "loadmgr_live_subscribers"), 0);
    assert.ok((sample(text, "nodejs_eventloop_lag_seconds") ?? -1) >= 0);
  });
});
