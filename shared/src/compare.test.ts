import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestStats, RequestStatsRow } from "./analytics.js";
import { compareRuns, DEFAULT_REGRESSION_RULE, regressionsOf, runDifferences, type RunSetup } from "./compare.js";

const row = (name: string, overrides: Partial<RequestStatsRow> = {}): RequestStatsRow => ({
  method: name === "Aggregated" ? "" : "GET",
  name,
  numRequests: 1000,
  numFailures: 0,
  requestsPerSec: 50,
  failuresPerSec: 0,
  avgResponseMs: 40,
  minResponseMs: 2,
  maxResponseMs: 400,
  p50ResponseMs: 30,
  p90ResponseMs: 80,
  p95ResponseMs: 100,
  p99ResponseMs: 200,
  ...overrides,
});

const stats = (endpoints: RequestStatsRow[], total: RequestStatsRow): RequestStats => ({
  runId: "r",
  endpoints: endpoints.map((e) => ({ ...e, failureMessages: [] })),
  total,
  region: null,
  regions: [],
});

describe("comparing two runs", () => {
  it("marks p95/p99 more than 10 % slower, or an error rate up a point, as a regression; lists gone and new endpoints", () => {
    const a = stats([row("/a"), row("/b"), row("/old")], row("Aggregated"));
    const b = stats(
      [row("/a", { p95ResponseMs: 111 }), row("/b", { p95ResponseMs: 110, numFailures: 10 }), row("/new")],
      row("Aggregated", { p99ResponseMs: 221 }),
    );
    const rows = compareRuns(a, b);
    assert.deepEqual(
      rows.map((r) => [r.endpoint, r.regression]),
      [
        ["GET /a", true],
        ["GET /b", true],
        ["GET /new", false],
        ["GET /old", false],
        ["Aggregated", true],
      ],
    );
    assert.deepEqual(rows[1]?.error_rate, { before: 0, after: 1 });
    // Which cells regressed: /a's p95, /b's error rate (its p95 is exactly 10 % slower), the total's p99.
    assert.deepEqual(
      rows.map((r) => r.regressed),
      [
        { p95: true, p99: false, error_rate: false },
        { p95: false, p99: false, error_rate: true },
        { p95: false, p99: false, error_rate: false },
        { p95: false, p99: false, error_rate: false },
        { p95: false, p99: true, error_rate: false },
      ],
    );
    assert.deepEqual(rows[2]?.p95, { before: null, after: 100 });
    assert.deepEqual(rows[3]?.p95, { before: 100, after: null });
  });

  it("does not call a change of under 1 ms a regression", () => {
    const rows = compareRuns(
      stats([], row("Aggregated", { p95ResponseMs: 2, p99ResponseMs: 3 })),
      stats([], row("Aggregated", { p95ResponseMs: 2.9, p99ResponseMs: 3.5 })),
    );
    assert.equal(rows[0]?.regression, false);
  });

  it("says what two runs did differently: test, target, users, duration, revision", () => {
    const run: RunSetup = {
      loadTestId: "t1",
      targetUrl: "http://shop",
      targetUsers: 10,
      spawnRate: 2,
      stages: null,
      durationSec: 60,
      workers: null,
      scriptRevisionId: "r1",
      env: { REGION: "eu" },
    };
    assert.deepEqual(runDifferences(run, { ...run, env: { REGION: "eu" } }), []);
    assert.deepEqual(
      runDifferences(run, {
        loadTestId: "t2",
        targetUrl: "http://blog",
        targetUsers: 20,
        spawnRate: 5,
        stages: null,
        durationSec: 30,
        workers: 4,
        scriptRevisionId: "r2",
        env: { REGION: "us", DEBUG: "1" },
      }),
      [
        "they are runs of different tests",
        "they target different URLs (http://shop, http://blog)",
        "they ran different users (10, 20)",
        "they spawned users at different rates (2/s, 5/s)",
        "they ran for different durations (60 s, 30 s)",
        "they ran on different workers (the default, 4)",
        "they ran different script revisions",
        "they ran with different parameters (DEBUG, REGION)",
      ],
    );
    assert.deepEqual(runDifferences(run, { ...run, stages: [{ durationSec: 30, users: 5, spawnRate: 1 }] }), [
      "they followed different stages (none; 30s:5:1)",
    ]);
  });

  it("lists regressions against a baseline by the rule, with their change", () => {
    const before = stats([row("/a"), row("/b")], row("Aggregated"));
    const after = stats(
      [row("/a", { p95ResponseMs: 125, p99ResponseMs: 205 }), row("/b", { numFailures: 20 })],
      row("Aggregated", { p95ResponseMs: 111 }),
    );
    assert.deepEqual(regressionsOf(before, after, DEFAULT_REGRESSION_RULE), [
      { endpoint: "GET /a", metric: "p95", baseline: 100, measured: 125, change: 25 },
      { endpoint: "GET /b", metric: "error_rate", baseline: 0, measured: 2, change: 2 },
      { endpoint: "Aggregated", metric: "p95", baseline: 100, measured: 111, change: 11 },
    ]);
    // A looser rule: 30 % and 50 ms, 5 points.
    assert.deepEqual(regressionsOf(before, after, { latencyPercent: 30, latencyMinMs: 50, errorRatePoints: 5 }), []);
  });
});
