import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  MAX_TIMESERIES_PAGE,
  type Aggregate,
  type Graph,
  type LoadTest,
  type LoadTestRun,
  type MetricSnapshotPush,
  type RequestStats,
  type RunSummary,
  type Scatter,
  type Timeseries,
  type Trend,
} from "@loadmgr/shared";
import { SAMPLE_LOCUSTFILE } from "./helpers/fixtures.js";
import { locustBucket, referencePercentile } from "./helpers/locustReference.js";
import { createTest, startRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

/** One request as Locust saw it. */
interface Sample {
  method: string;
  name: string;
  ms: number;
  ok: boolean;
}

/** Locust's percentile of these samples, computed without the server's histogram code. */
const percentile = (samples: Sample[], percent: number): number =>
  referencePercentile(
    samples.map((s) => locustBucket(s.ms)),
    percent,
  );

const ENDPOINTS = [
  ["GET", "/"],
  ["GET", "/items"],
  ["POST", "/cart"],
] as const;

const INTERVAL_MS = 2000;
// A minute ago: the server takes reports timed within a run's life only.
const T0 = Date.now() - 60_000;

/** Deterministic, spread-out samples for interval `seq`: some fast, some slow, a few failures. */
function samplesOf(seq: number): Sample[] {
  const samples: Sample[] = [];
  let x = seq * 7919;
  for (let i = 0; i < 40 + seq * 3; i++) {
    x = (x * 1_103_515_245 + 12_345) % 2 ** 31;
    const [method, name] = ENDPOINTS[x % 3] ?? ENDPOINTS[0];
    samples.push({ method, name, ms: 1 + (x % 1500) * (x % 7 === 0 ? 4 : 0.3), ok: x % 13 !== 0 });
  }
  return samples;
}

/** The snapshot the plugin would push for these samples. */
function snapshotOf(runId: string, seq: number, samples: Sample[], totals: { requests: number; failures: number }) {
  totals.requests += samples.length;
  totals.failures += samples.filter((s) => !s.ok).length;
  const endpoints = ENDPOINTS.map(([method, name]) => {
    const mine = samples.filter((s) => s.method === method && s.name === name);
    const histogram = new Map<number, number>();
    for (const s of mine) histogram.set(locustBucket(s.ms), (histogram.get(locustBucket(s.ms)) ?? 0) + 1);
    return {
      method,
      name,
      requests: mine.length,
      failures: mine.filter((s) => !s.ok).length,
      sumResponseMs: mine.reduce((sum, s) => sum + s.ms, 0),
      minResponseMs: Math.min(...mine.map((s) => s.ms)),
      maxResponseMs: Math.max(...mine.map((s) => s.ms)),
      histogram: [...histogram].sort((a, b) => a[0] - b[0]),
    };
  }).filter((e) => e.requests > 0);
  const failures = samples.filter((s) => !s.ok);
  const errors = ENDPOINTS.map(([method, name]) => ({
    method,
    name,
    error: `HTTPError('503 on ${name}')`,
    occurrences: failures.filter((s) => s.name === name).length,
  })).filter((e) => e.occurrences > 0);
  return {
    runId,
    seq,
    timestamp: T0 + seq * INTERVAL_MS,
    intervalMs: INTERVAL_MS,
    final: false,
    users: Math.min(10, seq * 2),
    totalRequests: totals.requests,
    totalFailures: totals.failures,
    endpoints,
    errors,
  } satisfies MetricSnapshotPush;
}

const close = (a: number, b: number): boolean => Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b));

describe("run analytics over REST", () => {
  let server: TestServer;
  let test: LoadTest;
  let run: LoadTestRun;
  let empty: LoadTestRun;
  const intervals = Array.from({ length: 10 }, (_, i) => samplesOf(i + 1));
  const all = intervals.flat();
  const api = () => restClient(server.url);

  before(async () => {
    server = await startTestServer({
      security: {
        tokens: [
          {
            name: "other-account",
            token: "other-account-token-012345678",
            role: "viewer",
            accountId: "globex",
          },
        ],
      },
    });
    test = await createTest(api(), "http://127.0.0.1:9", "print('not run')\n");
    run = await startRun(api(), test.id);
    empty = await startRun(api(), test.id);
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const totals = { requests: 0, failures: 0 };
    for (const [i, samples] of intervals.entries()) {
      const res = await locust.post("/v1/internal/locust/metrics", snapshotOf(run.id, i + 1, samples, totals));
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
  });
  after(() => server.close());

  it("summarises the run: the four cards and Locust's percentiles over every request", async () => {
    const res = await api().get<RunSummary>(`/v1/runs/${run.id}/summary`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const s = res.body;
    const failures = all.filter((x) => !x.ok).length;
    assert.equal(s.totalRequests, all.length);
    assert.equal(s.totalFailures, failures);
    assert.ok(close(s.requestsPerSec, all.length / 20));
    assert.ok(close(s.errorRatePercent, (100 * failures) / all.length));
    assert.ok(close(s.avgResponseMs, all.reduce((sum, x) => sum + x.ms, 0) / all.length));
    assert.equal(s.p50ResponseMs, percentile(all, 0.5));
    assert.equal(s.p95ResponseMs, percentile(all, 0.95));
    assert.equal(s.p99ResponseMs, percentile(all, 0.99));
    assert.equal(s.minResponseMs, Math.min(...all.map((x) => x.ms)));
    assert.equal(s.maxResponseMs, Math.max(...all.map((x) => x.ms)));
    assert.equal(s.revisionNumber, 1);
    assert.equal(s.users, 10);
    assert.equal(s.elapsedSec, 20);
    assert.equal(s.status, "Running");
  });

  it("lists every endpoint with its own figures and failure messages", async () => {
    const res = await api().get<RequestStats>(`/v1/runs/${run.id}/requests`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.endpoints.map((e) => `${e.method} ${e.name}`),
      ["GET /", "POST /cart", "GET /items"],
    );
    for (const row of res.body.endpoints) {
      const mine = all.filter((x) => x.method === row.method && x.name === row.name);
      assert.equal(row.numRequests, mine.length);
      assert.equal(row.numFailures, mine.filter((x) => !x.ok).length);
      assert.equal(row.p50ResponseMs, percentile(mine, 0.5));
      assert.equal(row.p90ResponseMs, percentile(mine, 0.9));
      assert.equal(row.p99ResponseMs, percentile(mine, 0.99));
      assert.deepEqual(row.failureMessages, [
        { error: `HTTPError('503 on ${row.name}')`, occurrences: row.numFailures },
      ]);
    }
    assert.equal(res.body.total.numRequests, all.length);
    assert.equal(res.body.total.name, "Aggregated");
  });

  it("draws the graph with at most maxPoints points, merging adjacent intervals and dropping none", async () => {
    const full = await api().get<Graph>(`/v1/runs/${run.id}/graph`);
    assert.equal(full.status, 200);
    assert.equal(full.body.points.length, 10);
    assert.equal(full.body.lastSeq, 10);

    const res = await api().get<Graph>(`/v1/runs/${run.id}/graph?maxPoints=3`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    const { points, intervalsPerPoint } = res.body;
    assert.equal(intervalsPerPoint, 4);
    assert.equal(points.length, 3);
    const groups = [intervals.slice(0, 4), intervals.slice(4, 8), intervals.slice(8)];
    for (const [i, point] of points.entries()) {
      const merged = groups[i]?.flat() ?? [];
      const seconds = ((groups[i]?.length ?? 0) * INTERVAL_MS) / 1000;
      assert.ok(close(point.requestsPerSec, merged.length / seconds), `point ${i} rps`);
      assert.ok(close(point.failuresPerSec, merged.filter((x) => !x.ok).length / seconds));
      assert.equal(point.p50ResponseMs, percentile(merged, 0.5));
      assert.equal(point.p95ResponseMs, percentile(merged, 0.95));
      assert.equal(point.p99ResponseMs, percentile(merged, 0.99));
      assert.equal(point.seq, Math.min(10, (i + 1) * 4));
      assert.equal(point.timestamp, T0 + Math.min(10, (i + 1) * 4) * INTERVAL_MS);
    }
    const counted = points.reduce((sum, p, i) => sum + p.requestsPerSec * (groups[i]?.length ?? 0) * 2, 0);
    assert.ok(close(counted, all.length));
  });

  it("draws one endpoint name's graph: its own counts and percentiles, merged as the whole graph is", async () => {
    const res = await api().get<Graph>(`/v1/runs/${run.id}/graph?name=/items&maxPoints=5`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.intervalsPerPoint, 2);
    assert.equal(res.body.lastSeq, 10);
    assert.equal(res.body.points.length, 5);
    for (const [i, point] of res.body.points.entries()) {
      const mine = intervals
        .slice(i * 2, i * 2 + 2)
        .flat()
        .filter((x) => x.name === "/items");
      assert.ok(close(point.requestsPerSec, mine.length / ((2 * INTERVAL_MS) / 1000)), `point ${i} rps`);
      assert.equal(point.p50ResponseMs, percentile(mine, 0.5));
      assert.equal(point.p95ResponseMs, percentile(mine, 0.95));
      assert.equal(point.p99ResponseMs, percentile(mine, 0.99));
    }
    // A name the run never requested: its intervals timed nothing (gaps, never 0 ms).
    const none = await api().get<Graph>(`/v1/runs/${run.id}/graph?name=/nowhere`);
    assert.equal(none.status, 200);
    assert.ok(none.body.points.every((p) => p.requestsPerSec === 0 && p.p95ResponseMs === null));
  });

  it("gives the full time series, windowed and per endpoint name", async () => {
    const from = T0 + 3 * INTERVAL_MS;
    const to = T0 + 5 * INTERVAL_MS;
    const res = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?from=${from}&to=${to}`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.points.map((p) => [p.seq, p.requests]),
      [3, 4, 5].map((seq) => [seq, intervals[seq - 1]?.length]),
    );
    const named = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?name=/cart`);
    assert.equal(named.body.points.length, 10);
    for (const point of named.body.points) {
      const mine = (intervals[point.seq - 1] ?? []).filter((x) => x.name === "/cart");
      assert.equal(point.requests, mine.length);
      assert.equal(point.p95ResponseMs, percentile(mine, 0.95));
    }
  });

  it("pages a time series: afterSeq from the previous page's nextAfterSeq, null on the last", async () => {
    for (const name of ["", "&name=/cart"]) {
      const pages: number[][] = [];
      let afterSeq: number | null = null;
      do {
        const after: string = afterSeq === null ? "" : `&afterSeq=${afterSeq}`;
        const res = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?limit=4${after}${name}`);
        assert.equal(res.status, 200, JSON.stringify(res.body));
        pages.push(res.body.points.map((p) => p.seq));
        afterSeq = res.body.nextAfterSeq;
      } while (afterSeq !== null && pages.length < 10);
      assert.deepEqual(
        pages,
        [
          [1, 2, 3, 4],
          [5, 6, 7, 8],
          [9, 10],
        ],
        name,
      );
    }
    // A page that ends exactly at the window's end says so: no empty page after it.
    const exact = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?limit=10`);
    assert.equal(exact.body.points.length, 10);
    assert.equal(exact.body.nextAfterSeq, null);
    const over = await api().get(`/v1/runs/${run.id}/metrics/timeseries?limit=2001`);
    assert.equal(over.status, 400);
    assert.equal(over.body.field, "limit");
  });

  it("exports a time series longer than one page as one CSV, written page by page", async () => {
    // A test of its own: the trend below counts this test's runs.
    const own = await createTest(api(), "http://127.0.0.1:9", SAMPLE_LOCUSTFILE, { name: "long" });
    const long = await startRun(api(), own.id);
    const locust = restClient(server.url, server.running.services.runTokens.issue(long.id));
    const base = Date.now() - 240_000;
    const SNAPSHOTS = MAX_TIMESERIES_PAGE + 50;
    for (let seq = 1; seq <= SNAPSHOTS; seq++) {
      const body = snapshotOf(long.id, seq, samplesOf(1), { requests: 0, failures: 0 });
      const res = await locust.post("/v1/internal/locust/metrics", { ...body, timestamp: base + seq * 100 });
      assert.equal(res.status, 200, JSON.stringify(res.body));
    }
    const csv = await fetch(`${server.url}/v1/runs/${long.id}/metrics/timeseries.csv`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const rows = (await csv.text()).trimEnd().split("\r\n");
    assert.equal(rows.length, 1 + SNAPSHOTS);
    assert.deepEqual(
      rows.slice(1).map((row) => Number(row.split(",")[0])),
      Array.from({ length: SNAPSHOTS }, (_, i) => i + 1),
    );
  });

  it("aggregates the whole run or a window, with the name filter", async () => {
    const whole = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate`);
    assert.equal(whole.status, 200);
    assert.equal(whole.body.total.numRequests, all.length);
    assert.equal(whole.body.total.p95ResponseMs, percentile(all, 0.95));
    assert.equal(whole.body.snapshots, 10);

    const from = T0 + 6 * INTERVAL_MS;
    const window = intervals.slice(5).flat();
    const res = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?from=${from}`);
    assert.equal(res.body.snapshots, 5);
    assert.equal(res.body.total.numRequests, window.length);
    assert.equal(res.body.total.p99ResponseMs, percentile(window, 0.99));
    assert.equal(res.body.measuredSec, 10);

    const named = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?from=${from}&name=/items`);
    const items = window.filter((x) => x.name === "/items");
    assert.deepEqual(
      named.body.endpoints.map((e) => e.name),
      ["/items"],
    );
    assert.equal(named.body.total.numRequests, items.length);
    assert.equal(named.body.total.p50ResponseMs, percentile(items, 0.5));
    assert.ok(named.body.errors.every((e) => e.name === "/items"));
    const wholeNamed = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?name=/items`);
    assert.equal(wholeNamed.body.total.numRequests, all.filter((x) => x.name === "/items").length);
  });

  it("gives the response-time distribution for a scatter plot", async () => {
    const res = await api().get<Scatter>(`/v1/runs/${run.id}/metrics/scatter?maxColumns=5`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.intervalsPerColumn, 2);
    const total = res.body.distribution.reduce((sum, b) => sum + b.count, 0);
    assert.equal(total, all.length);
    assert.equal(
      res.body.points.reduce((sum, p) => sum + p.count, 0),
      all.length,
    );
    assert.equal(new Set(res.body.points.map((p) => p.timestamp)).size, 5);
  });

  it("shows the trend across a test's runs, oldest first", async () => {
    const res = await api().get<Trend>(`/v1/load-tests/${test.id}/trend`);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(
      res.body.runs.map((r) => r.runId),
      [run.id, empty.id],
    );
    const [first, second] = res.body.runs;
    assert.equal(first?.totalRequests, all.length);
    assert.equal(first?.p99ResponseMs, percentile(all, 0.99));
    assert.equal(first?.revisionNumber, 1);
    assert.equal(second?.totalRequests, 0);
    const one = await api().get<Trend>(`/v1/load-tests/${test.id}/trend?limit=1`);
    assert.deepEqual(
      one.body.runs.map((r) => r.runId),
      [empty.id],
    );
  });

  it("exports the per-endpoint stats and the time series as CSV with the JSON's numbers", async () => {
    const json = await api().get<RequestStats>(`/v1/runs/${run.id}/requests`);
    const res = await fetch(`${server.url}/v1/runs/${run.id}/requests.csv`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/csv/);
    const lines = (await res.text()).trimEnd().split("\r\n");
    assert.equal(lines[0]?.split(",")[2], "numRequests");
    assert.equal(lines.length, 1 + json.body.endpoints.length + 1);
    const last = lines.at(-1)?.split(",") ?? [];
    assert.deepEqual(last.slice(0, 4), ["", "Aggregated", String(all.length), String(json.body.total.numFailures)]);
    assert.equal(Number(last[12]), json.body.total.p99ResponseMs);

    const series = await fetch(`${server.url}/v1/runs/${run.id}/metrics/timeseries.csv?name=/cart`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    const rows = (await series.text()).trimEnd().split("\r\n");
    assert.equal(rows.length, 11);
    const jsonSeries = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?name=/cart`);
    assert.equal(rows[1], Object.values(jsonSeries.body.points[0] ?? {}).join(","));
  });

  describe("bad input", () => {
    const paths = (id: string) => [
      `/v1/runs/${id}/graph`,
      `/v1/runs/${id}/summary`,
      `/v1/runs/${id}/requests`,
      `/v1/runs/${id}/metrics/timeseries`,
      `/v1/runs/${id}/metrics/scatter`,
      `/v1/runs/${id}/metrics/aggregate`,
      `/v1/runs/${id}/requests.csv`,
      `/v1/runs/${id}/metrics/timeseries.csv`,
    ];

    it("answers 404 for an unknown run, and for a run outside the token's scope", async () => {
      for (const path of paths("no-such-run")) {
        const res = await api().get(path);
        assert.equal(res.status, 404, path);
        assert.equal(res.body.code, "RUN_NOT_FOUND", path);
      }
      const outsider = restClient(server.url, "other-account-token-012345678");
      for (const path of [...paths(run.id), `/v1/load-tests/${test.id}/trend`]) {
        const res = await outsider.get(path);
        assert.equal(res.status, 404, path);
        assert.match(String(res.body.code), /_NOT_FOUND$/, path);
      }
      const trend = await api().get(`/v1/load-tests/no-such-test/trend`);
      assert.equal(trend.status, 404);
      assert.equal(trend.body.code, "LOAD_TEST_NOT_FOUND");
    });

    it("refuses from after to, and a non-numeric, zero or negative maxPoints, naming the field", async () => {
      const cases: [string, string][] = [
        [`/v1/runs/${run.id}/graph?from=5000&to=4000`, "from"],
        [`/v1/runs/${run.id}/metrics/aggregate?from=5000&to=4000`, "from"],
        [`/v1/runs/${run.id}/metrics/timeseries?from=5000&to=4000`, "from"],
        [`/v1/runs/${run.id}/metrics/timeseries.csv?from=5000&to=4000`, "from"],
        [`/v1/runs/${run.id}/metrics/scatter?from=5000&to=4000`, "from"],
        [`/v1/runs/${run.id}/graph?maxPoints=abc`, "maxPoints"],
        [`/v1/runs/${run.id}/graph?maxPoints=-5`, "maxPoints"],
        [`/v1/runs/${run.id}/graph?maxPoints=0`, "maxPoints"],
        [`/v1/runs/${run.id}/graph?maxPoints=2.5`, "maxPoints"],
        [`/v1/runs/${run.id}/graph?maxPoints=100000`, "maxPoints"],
        [`/v1/runs/${run.id}/metrics/scatter?maxColumns=-1`, "maxColumns"],
        [`/v1/runs/${run.id}/graph?from=yesterday`, "from"],
        [`/v1/runs/${run.id}/metrics/aggregate?to=-1`, "to"],
        [`/v1/load-tests/${test.id}/trend?limit=0`, "limit"],
      ];
      for (const [path, field] of cases) {
        const res = await api().get(path);
        assert.equal(res.status, 400, `${path}: ${JSON.stringify(res.body)}`);
        assert.equal(res.body.code, "INVALID_INPUT", path);
        assert.equal(res.body.field, field, path);
        assert.equal(typeof res.body.message, "string");
      }
    });

    it("answers a window with no data, or a run with none yet, with empty results", async () => {
      const later = T0 + 1000 * INTERVAL_MS;
      const graph = await api().get<Graph>(`/v1/runs/${run.id}/graph?from=${later}`);
      assert.equal(graph.status, 200);
      assert.deepEqual(graph.body.points, []);
      assert.equal(graph.body.lastSeq, 0);
      const aggregate = await api().get<Aggregate>(`/v1/runs/${run.id}/metrics/aggregate?from=${later}`);
      assert.equal(aggregate.status, 200);
      assert.equal(aggregate.body.snapshots, 0);
      assert.equal(aggregate.body.total.numRequests, 0);
      assert.deepEqual(aggregate.body.endpoints, []);
      const nameless = await api().get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?name=/nowhere`);
      assert.ok(nameless.body.points.every((p) => p.requests === 0));
      const summary = await api().get<RunSummary>(`/v1/runs/${empty.id}/summary`);
      assert.equal(summary.status, 200);
      assert.equal(summary.body.totalRequests, 0);
      assert.equal(summary.body.p95ResponseMs, 0);
      const scatter = await api().get<Scatter>(`/v1/runs/${empty.id}/metrics/scatter`);
      assert.deepEqual(scatter.body.distribution, []);
      const csv = await fetch(`${server.url}/v1/runs/${empty.id}/metrics/timeseries.csv`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal((await csv.text()).trimEnd().split("\r\n").length, 1);
    });
  });
});
