import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Aggregate, RequestStats, RunSummary, Timeseries } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, locustGone, readCsv, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";

/** Response times spread from 1 ms to ~1.2 s, so every bucket width of Locust's is used. */
const SCRIPT = `import random
from locust import FastHttpUser, constant, task

DELAYS = [0, 1, 2, 3, 5, 8, 13, 21, 34, 55, 89, 144, 233, 377, 610, 987, 1200]


class Visitor(FastHttpUser):
    wait_time = constant(0.01)

    @task(6)
    def slow(self):
        self.client.get(f"/slow?ms={random.choice(DELAYS)}", name="/slow")

    @task(3)
    def fast(self):
        self.client.get("/fast")

    @task(1)
    def broken(self):
        self.client.get(f"/fail?ms={random.choice(DELAYS[:12])}", name="/fail")
`;

describe("percentiles equal Locust's own, for a real distributed run", () => {
  let target: TargetApp;
  let server: TestServer;
  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 2 } } }, { role: "all" });
  });
  after(async () => {
    await server.close();
    await target.close();
  });

  it("matches locust_stats.csv per endpoint and in total, to the bucket", async () => {
    const api = restClient(server.url);
    const test = await createTest(api, target.url, SCRIPT, { defaultUsers: 12, defaultSpawnRate: 12 });
    const created = await startRun(api, test.id, { durationSec: 6 });
    const run = await waitForRun(api, created.id, ended, 60_000);
    assert.equal(run.status, "Finished", run.failureReason ?? "");
    const dir = runDir(server, run.id);
    await locustGone(dir);

    const locust = readCsv(join(dir, "work", "locust_stats.csv"));
    const requests = (await api.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    const ours = new Map([...requests.endpoints, requests.total].map((row) => [row.name, row]));
    assert.deepEqual(locust.map((row) => row.Name).sort(), [...ours.keys()].sort());
    for (const row of locust) {
      const mine = ours.get(row.Name ?? "");
      assert.ok(mine, row.Name);
      const what = `${row.Name}: ours ${JSON.stringify(mine)} vs Locust ${JSON.stringify(row)}`;
      assert.equal(mine.numRequests, Number(row["Request Count"]), what);
      assert.equal(mine.numFailures, Number(row["Failure Count"]), what);
      assert.ok(mine.numRequests >= 20, what);
      assert.equal(mine.p50ResponseMs, Number(row["50%"]), what);
      assert.equal(mine.p90ResponseMs, Number(row["90%"]), what);
      assert.equal(mine.p95ResponseMs, Number(row["95%"]), what);
      assert.equal(mine.p99ResponseMs, Number(row["99%"]), what);
      assert.ok(Math.abs(mine.avgResponseMs - Number(row["Average Response Time"])) < 0.01, what);
      assert.ok(Math.abs(mine.maxResponseMs - Number(row["Max Response Time"])) < 0.01, what);
      // Rates as Locust defines them: over its last request's time minus its test start (ms-rounded here).
      const close = (ours: number, locusts: number): boolean => Math.abs(ours - locusts) <= locusts * 0.001 + 1e-9;
      assert.ok(close(mine.requestsPerSec, Number(row["Requests/s"])), `requests/s: ${what}`);
      assert.ok(close(mine.failuresPerSec, Number(row["Failures/s"])), `failures/s: ${what}`);
    }
    const total = ours.get("Aggregated");
    assert.ok(total && total.p99ResponseMs >= 900, "the spread reached the 100 ms buckets");

    const summary = (await api.get<RunSummary>(`/v1/runs/${run.id}/summary`)).body;
    assert.equal(summary.p95ResponseMs, total.p95ResponseMs);
    assert.equal(summary.requestsPerSec, total.requestsPerSec);
    const aggregate = (await api.get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate`)).body;
    assert.equal(aggregate.total.p99ResponseMs, total.p99ResponseMs);
    // A window covering the whole run, computed from the snapshots rather than the kept totals.
    const windowed = (await api.get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?from=0&to=${Date.now()}`)).body;
    assert.deepEqual(windowed.total, aggregate.total);
    const series = (await api.get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries`)).body;
    assert.equal(
      series.points.reduce((sum, p) => sum + p.requests, 0),
      total.numRequests,
    );
  });
});
