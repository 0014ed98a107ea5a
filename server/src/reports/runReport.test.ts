import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { GraphPoint, RequestStats, RequestStatsRow, RunSummary } from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../test/helpers/fixtures.js";
import { renderRunReport } from "./runReport.js";
import { lineChartSvg } from "./svgChart.js";

const HOSTILE = `<script>alert("x")</script><img src=x onerror=alert(1)>`;

const row = (method: string, name: string, overrides: Partial<RequestStatsRow> = {}): RequestStatsRow => ({
  method,
  name,
  numRequests: 100,
  numFailures: 2,
  requestsPerSec: 10,
  failuresPerSec: 0.2,
  avgResponseMs: 20,
  minResponseMs: 1,
  maxResponseMs: 90,
  p50ResponseMs: 15,
  p90ResponseMs: 40,
  p95ResponseMs: 50,
  p99ResponseMs: 80,
  ...overrides,
});

function data() {
  const { test } = makeLoadTest();
  const run = makeRun(test, {
    name: `nightly ${HOSTILE}`,
    status: "Failed",
    outcome: "aborted",
    loadChanges: [{ at: 1_030_000, targetUsers: 12, spawnRate: 4, by: "alice" }],
    startedAt: 1_000_000,
    finishedAt: 1_060_000,
    failureReason: `aborted: threshold "p95<30" breached ${HOSTILE}`,
    thresholds: [{ threshold: "p95<30", abortOnFail: true, windowSec: 10 }, "error_rate<5%"],
    env: { REGION: HOSTILE },
    verdict: {
      passed: false,
      checkedAt: 1_060_000,
      checks: [
        { threshold: "p95<30", measured: 50, passed: false },
        { threshold: "error_rate<5%", measured: 2, passed: true },
      ],
      aborted: true,
      abortedBy: { threshold: "p95<30", measured: 55, windowSec: 10, atSec: 42, seq: 21 },
      baselineRunId: "base-1",
      regressions: [{ endpoint: `GET ${HOSTILE}`, metric: "p95", baseline: 20, measured: 50, change: 150 }],
    },
  });
  const endpoint = { ...row("GET", HOSTILE), failureMessages: [{ error: HOSTILE, occurrences: 2 }] };
  const requests: RequestStats = {
    runId: run.id,
    endpoints: [endpoint],
    total: row("", "Aggregated"),
    region: null,
    regions: [],
  };
  const points: GraphPoint[] = [0, 1, 2, 3].map((i) => ({
    seq: i + 1,
    timestamp: 1_000_000 + (i + 1) * 2000,
    users: 4,
    requestsPerSec: 10 + i,
    failuresPerSec: 0.2,
    avgResponseMs: 20,
    p50ResponseMs: 15,
    p95ResponseMs: 50,
    p99ResponseMs: 80,
  }));
  const summary = {
    revisionNumber: 3,
    totalRequests: 100,
    totalFailures: 2,
    requestsPerSec: 10,
    errorRatePercent: 2,
    avgResponseMs: 20,
    p95ResponseMs: 50,
    p99ResponseMs: 80,
  } as RunSummary;
  return {
    run,
    testName: `checkout ${HOSTILE}`,
    summary,
    requests,
    points,
    baseline: { id: "base-1", name: "#7", differences: [`they ran different users (5, 8)`] },
  };
}

describe("the run report", () => {
  it("is one file: no script, nothing it would fetch, and every name from a script escaped", () => {
    const html = renderRunReport({ ...data(), generatedAt: Date.UTC(2026, 11, 3, 8, 0, 0) });
    assert.doesNotMatch(html, /<script/i);
    // No element that loads anything, and no attribute or style that would.
    assert.doesNotMatch(html, /<(img|link|iframe|object|embed|image|use|audio|video|source|base|meta http-equiv)\b/i);
    assert.doesNotMatch(html, /<[^>]*\s(src|href|xlink:href|srcset|action)=/i);
    assert.doesNotMatch(html, /url\(|@import/i);
    assert.ok(!html.includes(HOSTILE));
    assert.ok(html.includes("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;"));
    assert.match(html, /generated 2026-12-03 08:00:00 UTC/);
  });

  it("holds what it ran, the cards, the verdict with the abort and the baseline, charts, endpoints and failures", () => {
    const html = renderRunReport({ ...data(), generatedAt: 0 });
    for (const text of [
      "What it ran",
      "<dd>#3</dd>",
      "p95&lt;30 abort window=10s; error_rate&lt;5%",
      "Total requests",
      'Outcome: <span class="fail" id="outcome">aborted</span>',
      "p95&lt;30 broke 42 s into the run: measured 55 ms over the last 10 s",
      "Against the baseline #7",
      "<dd>30 s in: 12 users at 4/s (alice)</dd>",
      "Not set up alike, so the comparison may mislead: they ran different users (5, 8).",
      "+150 %",
      "Aggregated",
    ]) {
      assert.ok(html.includes(text), text);
    }
    assert.equal((html.match(/<svg /g) ?? []).length, 3);
    assert.equal((html.match(/<polyline /g) ?? []).length, 6);
  });

  it("draws a line per series, broken where a value is missing, on a nice scale", () => {
    const svg = lineChartSvg({
      title: "t",
      times: [0, 1000, 2000, 3000, 4000],
      start: 0,
      unit: "ms",
      series: [{ label: "p95", color: "#000", values: [10, 20, null, 40, 42] }],
    });
    assert.equal((svg.match(/<polyline /g) ?? []).length, 2);
    assert.match(svg, />50</, "the y axis ends at the next 1-2-5 step above 42");
  });
});
