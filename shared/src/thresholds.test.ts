import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RequestStatsRow } from "./analytics.js";
import {
  abortReason,
  abortRules,
  formatThresholdItem,
  judge,
  parseThreshold,
  parseThresholdItem,
  ThresholdError,
  thresholdStates,
} from "./judge.js";
import { THRESHOLD_PATTERN, thresholdExpressionSchema, thresholdItemSchema } from "./thresholds.js";

const row = (method: string, name: string, overrides: Partial<RequestStatsRow> = {}): RequestStatsRow => ({
  method,
  name,
  numRequests: 1000,
  numFailures: 5,
  requestsPerSec: 60,
  failuresPerSec: 0.3,
  avgResponseMs: 35,
  minResponseMs: 2,
  maxResponseMs: 900,
  p50ResponseMs: 20,
  p90ResponseMs: 80,
  p95ResponseMs: 120,
  p99ResponseMs: 400,
  ...overrides,
});

const stats = {
  total: row("", "Aggregated"),
  endpoints: [row("GET", "/api/products", { p99ResponseMs: 700 }), row("POST", "/api/cart")],
};

describe("thresholds", () => {
  it("parses the k6-style forms", () => {
    assert.deepEqual(parseThreshold("p95<300"), {
      text: "p95<300",
      endpoint: undefined,
      metric: "p95",
      operator: "<",
      value: 300,
    });
    assert.equal(parseThreshold("error_rate<1%").value, 1);
    assert.equal(parseThreshold("rps >= 50").operator, ">=");
    assert.deepEqual(parseThreshold("GET /api/products:p99<500").endpoint, { method: "GET", name: "/api/products" });
    assert.equal(parseThreshold("avg<250ms").value, 250);
  });

  for (const bad of ["p95", "p95<", "<300", "p97<300", "rps<5%", "error_rate<5ms", "p95<<3", "get /x:p95<3", ""]) {
    it(`refuses ${JSON.stringify(bad)} with a message saying how to write one`, () => {
      assert.throws(
        () => parseThreshold(bad),
        (error: Error) => error instanceof ThresholdError && /threshold/.test(error.message),
      );
    });
  }

  it("refuses a bad expression at the API's edge with the same message", () => {
    const result = thresholdExpressionSchema.safeParse("p97<300");
    assert.equal(result.success, false);
    assert.match(result.error?.issues[0]?.message ?? "", /unknown metric "p97"/);
    assert.equal(thresholdExpressionSchema.parse("  p95<300 "), "p95<300");
  });

  it("passes only when every threshold holds, and reports each measured value", () => {
    const ok = judge(["p95<300", "rps>50", "error_rate<1%", "max<=900"], stats, 7);
    assert.equal(ok.passed, true);
    assert.equal(ok.checkedAt, 7);
    assert.deepEqual(
      ok.checks.map((c) => c.measured),
      [120, 60, 0.5, 900],
    );
    const breached = judge(["p95<300", "GET /api/products:p99<500"], stats, 7);
    assert.equal(breached.passed, false);
    assert.deepEqual(breached.checks[1], { threshold: "GET /api/products:p99<500", measured: 700, passed: false });
    const missing = judge(["POST /nowhere:p99<500"], stats, 7);
    assert.deepEqual(missing.checks[0], { threshold: "POST /nowhere:p99<500", measured: null, passed: false });
    assert.deepEqual(judge([], stats, 7), {
      passed: true,
      checkedAt: 7,
      checks: [],
      aborted: false,
      abortedBy: null,
      baselineRunId: null,
      regressions: [],
    });
  });

  it("fails every threshold of a run that sent no requests: nothing measured is no pass", () => {
    const idle = { total: row("", "Aggregated", { numRequests: 0, numFailures: 0, p95ResponseMs: 0 }), endpoints: [] };
    assert.deepEqual(judge(["p95<300", "error_rate<1%"], idle, 7), {
      passed: false,
      checkedAt: 7,
      checks: [
        { threshold: "p95<300", measured: null, passed: false },
        { threshold: "error_rate<1%", measured: null, passed: false },
      ],
      aborted: false,
      abortedBy: null,
      baselineRunId: null,
      regressions: [],
    });
  });

  it("says live how each stands: held, at risk within 10 % of its limit, breached, or no data yet", () => {
    // p95 is 120 ms, rps 60, error rate 0.5 %; GET /api/products' p99 is 700 ms.
    assert.deepEqual(
      thresholdStates(
        ["p95<300", "p95<130", "p95<=120", "rps>50", "rps>70", "error_rate<1%", "GET /nope:p99<5"],
        stats,
      ).map((s) => [s.threshold, s.state]),
      [
        ["p95<300", "held"],
        ["p95<130", "at risk"],
        ["p95<=120", "at risk"],
        ["rps>50", "held"],
        ["rps>70", "breached"],
        ["error_rate<1%", "held"],
        ["GET /nope:p99<5", "no data"],
      ],
    );
    assert.deepEqual(thresholdStates(["rps>55"], stats), [{ threshold: "rps>55", measured: 60, state: "at risk" }]);
  });

  it("reads and writes the CLI's form of an aborting threshold", () => {
    assert.equal(parseThresholdItem(" p95<300 "), "p95<300");
    assert.deepEqual(parseThresholdItem("p95<300 abort"), { threshold: "p95<300", abortOnFail: true });
    assert.deepEqual(parseThresholdItem("GET /api x:p99<500 abort window=10s delay=20"), {
      threshold: "GET /api x:p99<500",
      abortOnFail: true,
      windowSec: 10,
      delayAbortEvalSec: 20,
    });
    for (const text of ["p95<300", "p95<300 abort", "error_rate<1% abort window=30s delay=5s"]) {
      assert.equal(formatThresholdItem(parseThresholdItem(text)), text);
    }
    assert.throws(() => parseThresholdItem("p95<300 window=10s"), ThresholdError);
    assert.throws(() => parseThresholdItem("p97<300 abort"), /unknown metric/);
    // An endpoint may be named "abort": only a trailing option word after the expression counts.
    assert.equal(parseThresholdItem("GET /abort:p95<300"), "GET /abort:p95<300");
  });

  it("checks threshold objects: window and delay only when it aborts, within their bounds", () => {
    const ok = thresholdItemSchema.safeParse({ threshold: "p95<300", abortOnFail: true, windowSec: 10 });
    assert.ok(ok.success);
    assert.deepEqual(ok.data, { threshold: "p95<300", abortOnFail: true, windowSec: 10 });
    const paths = (value: unknown): string[] =>
      thresholdItemSchema.safeParse(value).error?.issues.map((i) => i.path.join(".")) ?? [];
    assert.deepEqual(paths({ threshold: "p95<300", windowSec: 10 }), ["windowSec"]);
    assert.deepEqual(paths({ threshold: "p95<300", abortOnFail: true, windowSec: 0 }), ["windowSec"]);
    assert.deepEqual(paths({ threshold: "p95<300", abortOnFail: true, windowSec: 601 }), ["windowSec"]);
    assert.deepEqual(paths({ threshold: "p95<300", abortOnFail: true, delayAbortEvalSec: -1 }), ["delayAbortEvalSec"]);
    assert.deepEqual(paths({ threshold: "p97<300", abortOnFail: true }), ["threshold"]);
    assert.equal(thresholdItemSchema.safeParse({ threshold: "p95<300", extra: 1 }).success, false);
  });

  it("judges objects by their expression, and lists those that abort", () => {
    const items = [
      "p95<300",
      { threshold: "error_rate<1%", abortOnFail: true, windowSec: 10 },
      { threshold: "p99<900" },
    ];
    assert.deepEqual(
      judge(items, stats, 1).checks.map((c) => c.threshold),
      ["p95<300", "error_rate<1%", "p99<900"],
    );
    assert.deepEqual(abortRules(items), [{ threshold: "error_rate<1%", windowSec: 10, delayAbortEvalSec: 0 }]);
    assert.equal(
      abortReason({ threshold: "p95<300", measured: 412.345, windowSec: 10, atSec: 14, seq: 7 }),
      'aborted: threshold "p95<300" breached over the last 10 s (measured 412.35, 14 s into the run)',
    );
  });
});

it("states the threshold grammar as a pattern (for the published document) that takes exactly what the parser takes", () => {
  const pattern = new RegExp(THRESHOLD_PATTERN);
  const samples = [
    ...["p50<1", "p90>=2.5", "p95<300", "p99 <= 500 ms", " avg<20ms ", "max>1", "rps>50", "rps >= 0.5"],
    ...[
      "error_rate<1%",
      "error_rate<=0.5 %",
      "error_rate<2",
      "GET /api:p99<500",
      "POST /a b:c:rps>1",
      "DELETE x:error_rate<1%",
    ],
    ...["", "p95", "p95<", "<300", "p95=300", "p95<-1", "p95<1%", "rps>5ms", "error_rate<1ms", "x<1", "get /a:p95<1"],
    ...["GET :p95<1", "GET/a:p95<1", "p95<300 abort", "p95<1e3", "P95<300", "p95<<300", "p95<300\nrps>1", "GET /a:x<1"],
  ];
  for (const text of samples) {
    let parses = true;
    try {
      parseThreshold(text.trim());
    } catch {
      parses = false;
    }
    assert.equal(pattern.test(text), parses, JSON.stringify(text));
  }
});
