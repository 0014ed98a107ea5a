import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Aggregate, Graph, LoadTest, LoadTestRun, Scatter, Timeseries } from "@loadmgr/shared";
import { startMongoWireServer } from "./helpers/ferretdb.js";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { snapshot } from "./helpers/pusher.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const SCOPE = { accountId: "acme", orgId: "web", projectId: "shop" };
const SNAPSHOTS = 30;

/** This process's threads by nice value (Linux): the read worker runs below the server's thread. */
function niceValues(): number[] {
  return readdirSync("/proc/self/task").map((task) => {
    const stat = readFileSync(`/proc/self/task/${task}/stat`, "utf-8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[16]);
  });
}

/**
 * The heavy window reads run in a worker thread with its own store connection: the same answers on
 * both stores (SQLite in WAL mode beside the writer, MongoDB as a second client), from a thread that
 * the scheduler puts behind the server's own.
 */
for (const kind of ["sqlite", "mongodb"] as const) {
  describe(`window reads in the read worker (${kind})`, () => {
    let server: TestServer;
    let stopMongo: (() => Promise<void>) | undefined;
    let run: LoadTestRun;
    const base = Date.now() - 240_000;
    const api = () => restClient(server.url);

    before(async () => {
      let config = {};
      if (kind === "mongodb") {
        const mongo = await startMongoWireServer();
        stopMongo = mongo.stop;
        config = { mongodb: { uri: mongo.uri, database: `reader_${Date.now()}` } };
      }
      server = await startTestServer(config);
      const test = await api().post<LoadTest>("/v1/load-tests", {
        ...SCOPE,
        name: "reads",
        targetUrl: "http://127.0.0.1:9",
        scriptContent: SAMPLE_SCRIPT_B64,
      });
      run = (await api().post<LoadTestRun>(`/v1/load-tests/${test.body.id}/runs`, {})).body;
      const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
      for (let seq = 1; seq <= SNAPSHOTS; seq++) {
        const res = await locust.post("/v1/internal/locust/metrics", snapshot(run.id, seq, {}, base));
        assert.equal(res.status, 200, JSON.stringify(res.body));
      }
    });
    after(async () => {
      await server.close();
      await stopMongo?.();
    });

    it("answers the time series, scatter, windowed aggregate and graph from the worker", async () => {
      const before = niceValues().filter((nice) => nice > 0).length;
      // snapshot(seq): 10 requests of seq ms each, timed base + seq * 500.
      const from = base + 11 * 500;
      const to = base + 20 * 500;
      const series = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?from=${from}&to=${to}`);
      assert.equal(series.status, 200, JSON.stringify(series.body));
      assert.deepEqual(
        series.body.points.map((p) => [p.seq, p.requests, p.maxResponseMs]),
        Array.from({ length: 10 }, (_, i) => [11 + i, 10, 11 + i]),
      );
      const aggregate = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?from=${from}&to=${to}`);
      assert.equal(aggregate.body.snapshots, 10);
      assert.equal(aggregate.body.total.numRequests, 100);
      const scatter = await api().get<Scatter>(`/v1/runs/${run.id}/metrics/scatter?from=${from}&to=${to}&maxColumns=5`);
      assert.equal(scatter.body.intervalsPerColumn, 2);
      assert.equal(
        scatter.body.distribution.reduce((sum, bucket) => sum + bucket.count, 0),
        100,
      );
      const graph = await api().get<Graph>(`/v1/runs/${run.id}/graph?from=${from}&to=${to}&maxPoints=4`);
      assert.deepEqual(
        graph.body.points.map((p) => p.seq),
        [13, 16, 19, 20],
      );
      const whole = await api().get<Graph>(`/v1/runs/${run.id}/graph?maxPoints=1000`);
      assert.equal(whole.body.points.length, SNAPSHOTS);
      // The worker is a thread of this process (started by the first read), at a lower priority than the rest.
      assert.equal(niceValues().filter((nice) => nice > 0).length, before + 1);
    });
  });
}
