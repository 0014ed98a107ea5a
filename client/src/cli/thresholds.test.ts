import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { evaluate, parseThreshold, ThresholdError, type Figures } from "./thresholds.js";

const figures = (overrides: Partial<Figures> = {}): Figures => ({
  p50: 20,
  p90: 80,
  p95: 120,
  p99: 400,
  avg: 35,
  max: 900,
  rps: 60,
  error_rate: 0.5,
  ...overrides,
});

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

  it("passes only when every threshold holds, and reports each measured value", () => {
    const endpoints = new Map([["GET /api/products", figures({ p99: 700 })]]);
    const ok = evaluate(
      [parseThreshold("p95<300"), parseThreshold("rps>50"), parseThreshold("error_rate<1%")],
      figures(),
      endpoints,
    );
    assert.equal(ok.passed, true);
    assert.deepEqual(
      ok.verdicts.map((v) => v.measured),
      [120, 60, 0.5],
    );
    const breached = evaluate(
      [parseThreshold("p95<300"), parseThreshold("GET /api/products:p99<500")],
      figures(),
      endpoints,
    );
    assert.equal(breached.passed, false);
    assert.deepEqual(breached.verdicts[1], { threshold: "GET /api/products:p99<500", measured: 700, passed: false });
    const missing = evaluate([parseThreshold("POST /nowhere:p99<500")], figures(), endpoints);
    assert.deepEqual(missing.verdicts[0], { threshold: "POST /nowhere:p99<500", measured: null, passed: false });
  });
});
