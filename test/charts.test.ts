import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LoadTestRun, Timeseries } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

/** The target answers after this long: no interval with requests can honestly show less. */
const ANSWER_MS = 40;
/**
 * How far a snapshot's rate may be from its run's mean, the spawn and the final fraction aside:
 * unless the target itself saw its load that far off in that interval (a busy machine stalled
 * Locust; the chart then shows truly what happened). Measured quiet and beside CI's other suites,
 * every 2 s snapshot of these runs held 40 requests exactly.
 */
const BAND = 0.3;

/** 4 users paced at one request each 0.2 s: a steady 20 requests/s, whatever the response time. */
const steadyScript = (path: string): string => `from locust import FastHttpUser, constant_pacing, task


class Steady(FastHttpUser):
    wait_time = constant_pacing(0.2)

    @task
    def page(self):
        self.client.get("${path}?ms=${ANSWER_MS}")
`;

interface Row {
  timestamp: number;
  intervalMs: number;
  requests: number;
  requestsPerSec: number;
  p50: number | null;
  p99: number | null;
  avg: number | null;
}

/** The rows of /metrics/timeseries.csv, by its header. */
function csvRows(text: string): Row[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const columns = (header ?? "").split(",");
  const at = (cells: string[], name: string): string => cells[columns.indexOf(name)] ?? "";
  const num = (cell: string): number | null => (cell === "" ? null : Number(cell));
  return lines.map((line) => {
    const cells = line.split(",");
    return {
      timestamp: Number(at(cells, "timestamp")),
      intervalMs: Number(at(cells, "intervalMs")),
      requests: Number(at(cells, "requests")),
      requestsPerSec: Number(at(cells, "requestsPerSec")),
      p50: num(at(cells, "p50ResponseMs")),
      p99: num(at(cells, "p99ResponseMs")),
      avg: num(at(cells, "avgResponseMs")),
    };
  });
}

/**
 * What every point of a steady run must show: the requests the target answered in its interval
 * (give or take the few on its edges: Locust logs a request as its answer arrives), a rate near the
 * run's mean, and a true latency wherever requests flowed.
 */
function checkSteady(rows: Row[], answeredAt: number[], where: string): void {
  assert.ok(rows.length >= 8, `${where}: ${rows.length} points`);
  const seen = (row: Row): number =>
    answeredAt.filter((t) => t >= row.timestamp - row.intervalMs && t < row.timestamp).length;
  for (const row of rows) {
    const truth = seen(row);
    assert.ok(
      Math.abs(row.requests - truth) <= 2 + 0.1 * truth,
      `${where}: ${row.requests} requests in the interval ending ${row.timestamp}; the target answered ${truth}`,
    );
  }
  const steady = rows.slice(1, -1);
  const mean = steady.reduce((sum, r) => sum + r.requestsPerSec, 0) / steady.length;
  assert.ok(mean > 15 && mean < 25, `${where}: a mean of ${mean.toFixed(1)} requests/s for a paced 20/s`);
  for (const row of steady) {
    const off = Math.abs(row.requestsPerSec - mean) / mean;
    const targetOff = Math.abs((seen(row) * 1000) / row.intervalMs - mean) / mean;
    assert.ok(
      off <= BAND || targetOff > BAND,
      `${where}: ${row.requestsPerSec.toFixed(1)}/s at ${row.timestamp}, ${Math.round(off * 100)} % off the mean ${mean.toFixed(1)}/s: ${JSON.stringify(rows.map((r) => r.requests))}`,
    );
  }
  for (const row of rows.filter((r) => r.requests > 0)) {
    for (const value of [row.p50, row.p99, row.avg]) {
      assert.ok(
        value !== null && value >= ANSWER_MS,
        `${where}: a latency of ${value} ms with ${row.requests} requests`,
      );
    }
  }
}

describe("every point of a chart is true: a steady load shows steady, with 2 and with 4 workers", () => {
  let target: TargetApp;
  /** A server whose host runs each run with this many workers, and its run. */
  const sides: { workers: number; server: TestServer; api: ReturnType<typeof restClient>; run?: LoadTestRun }[] = [];

  before(async () => {
    target = await startTargetApp();
    for (const workers of [2, 4]) {
      const server = await startTestServer({ runner: { metricsIntervalSec: 2, local: { workers } } }, { role: "all" });
      sides.push({ workers, server, api: restClient(server.url) });
    }
    // Both at once: the machine's load is the same for both.
    await Promise.all(
      sides.map(async (side) => {
        const test = await createTest(side.api, target.url, steadyScript(`/steady-${side.workers}`));
        const run = await startRun(side.api, test.id, { targetUsers: 4, spawnRate: 4, durationSec: 40 });
        side.run = await waitForRun(side.api, run.id, ended, 120_000);
      }),
    );
  });

  after(async () => {
    for (const side of sides) await side.server.close();
    await target?.close();
  });

  for (const [index, workers] of [2, 4].entries()) {
    it(`with ${workers} workers: through the time series API, its CSV and the report`, async () => {
      const { api, server, run } = sides[index] as (typeof sides)[number] & { run: LoadTestRun };
      assert.equal(run.status, "Finished", run.failureReason ?? "");
      assert.deepEqual(
        run.placement.map((e) => [e.role, e.processes]),
        [
          ["master", 1],
          ["worker", workers],
        ],
      );
      const series = (await api.get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?limit=1000`)).body;
      const answeredAt = target.answeredAt.get(`/steady-${workers}`) ?? [];
      checkSteady(
        series.points.map((p) => ({
          timestamp: p.timestamp,
          intervalMs: p.intervalMs,
          requests: p.requests,
          requestsPerSec: p.requestsPerSec,
          p50: p.p50ResponseMs,
          p99: p.p99ResponseMs,
          avg: p.avgResponseMs,
        })),
        answeredAt,
        "timeseries",
      );
      // Each point's interval begins where the one before it ended: no request counted twice or missed.
      for (const [i, p] of series.points.entries()) {
        if (i > 0) assert.equal(p.timestamp - p.intervalMs, series.points[i - 1]?.timestamp);
      }
      const total = series.points.reduce((sum, p) => sum + p.requests, 0);
      assert.equal(total, run.lastMetrics?.totalRequests);

      const csv = await fetch(`${server.url}/v1/runs/${run.id}/metrics/timeseries.csv`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      assert.equal(csv.status, 200);
      checkSteady(csvRows(await csv.text()), answeredAt, "CSV");

      // The report's latency lines: unbroken, and never down at the 0 ms axis.
      const report = await fetch(`${server.url}/v1/runs/${run.id}/report.html`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      });
      const html = await report.text();
      const latency = html.slice(html.indexOf('aria-label="Response times'));
      const svg = latency.slice(0, latency.indexOf("</svg>"));
      // The x axis: the axis line that runs level (y1 = y2), where 0 ms is drawn.
      const axisY = /<line x1="[\d.]+" x2="[\d.]+" y1="([\d.]+)" y2="\1" class="axis"\/>/.exec(svg)?.[1];
      assert.ok(axisY !== undefined, "the latency chart has its x axis");
      for (const label of ["p50", "p95", "p99"]) {
        const lines = [...svg.matchAll(new RegExp(`points="([^"]+)" data-series="${label}"`, "g"))];
        assert.equal(lines.length, 1, `one unbroken ${label} line`);
        const ys = (lines[0]?.[1] ?? "").split(" ").map((xy) => xy.split(",")[1]);
        assert.ok(!ys.includes(axisY), `${label} drawn at 0 ms: ${ys.join(" ")}`);
      }
    });
  }
});
