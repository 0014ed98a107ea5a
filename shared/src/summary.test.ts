import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestStatsRow } from "./analytics.js";
import type { LoadTestRun } from "./run.js";
import { markdownCode, markdownSummary, markdownText } from "./summary.js";

const row = (method: string, name: string): RequestStatsRow => ({
  method,
  name,
  numRequests: 1200,
  numFailures: 12,
  requestsPerSec: 40,
  failuresPerSec: 0.4,
  avgResponseMs: 21.5,
  minResponseMs: 1,
  maxResponseMs: 300,
  p50ResponseMs: 15,
  p90ResponseMs: 40,
  p95ResponseMs: 60,
  p99ResponseMs: 120,
});

const run = {
  id: "run-1",
  name: "#4 · 3 Dec 08:00",
  status: "Finished",
  outcome: "failed",
  targetUsers: 10,
  durationSeconds: 30,
  stages: null,
  targetUrl: "http://shop.internal",
  failureReason: null,
  thresholds: ["p95<300", { threshold: "error_rate<1%", abortOnFail: true, windowSec: 10 }],
  verdict: {
    passed: false,
    checkedAt: 0,
    checks: [
      { threshold: "p95<300", measured: 60, passed: true },
      { threshold: "error_rate<1%", measured: 1, passed: false },
    ],
    aborted: false,
    abortedBy: null,
    baselineRunId: "run-0",
    regressions: [{ endpoint: "GET /a|b", metric: "p95", baseline: 40, measured: 60, change: 50 }],
  },
} as unknown as LoadTestRun;

describe("the Markdown summary", () => {
  it("leads with the verdict, then the cards, thresholds, baseline and endpoints", () => {
    const md = markdownSummary({
      run,
      testName: "Shop",
      requests: { total: row("", "Aggregated"), endpoints: [row("GET", "/a|b")] },
      reportUrl: "https://lm.example/v1/runs/run-1/report.html",
    });
    const lines = md.split("\n");
    assert.equal(lines[0], "### ❌ Thresholds breached: Shop · \\#4 · 3 Dec 08:00");
    assert.ok(md.includes("| 1,200 (12 failed) | 40.0/s | 1.00 % | 22 ms (p95 60 ms, p99 120 ms) |"));
    assert.ok(md.includes("- ✅ `p95<300`: measured 60 ms"));
    assert.ok(md.includes("- ❌ `error_rate<1% abort window=10s`: measured 1.00 %"), md);
    assert.ok(md.includes("**Baseline** `run-0`: ❌ 1 regression(s)"));
    assert.ok(md.includes("| GET /a\\|b | p95 | 40 ms | 60 ms | +50 % |"));
    assert.ok(md.includes("[report](https://lm.example/v1/runs/run-1/report.html)"));
    // Every table row has the columns of its header: a | in a name does not break it.
    for (const line of lines.filter((l) => l.startsWith("| GET"))) {
      assert.ok([7, 5].includes(line.split(/(?<!\\)\|/).length - 2), line);
    }
  });

  it("shows names from scripts as text: no HTML, links or line breaks; code spans fenced past their backticks", () => {
    assert.equal(markdownCode("GET /a`b:p95<3"), "`` GET /a`b:p95<3 ``");
    assert.equal(markdownCode("p95<3"), "`p95<3`");
    assert.equal(markdownText("<b>x</b> [a](http://e) *y*\nz"), "&lt;b&gt;x&lt;/b&gt; \\[a\\](http://e) \\*y\\* z");
  });
});
