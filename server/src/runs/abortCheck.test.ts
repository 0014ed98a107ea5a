import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LoadTestRun, MetricSnapshot, ThresholdItem } from "@loadmgr/shared";
import { makeLoadTest, makeRun, makeSnapshot } from "../../../test/helpers/fixtures.js";
import { SqliteMetricsStore } from "../metrics/sqlite/sqliteMetrics.js";
import { abortCause } from "./abortCheck.js";

const T0 = 1_700_000_000_000;

/** A 2 s snapshot of 20 requests to GET /, all taking `ms`. */
const snap = (run: LoadTestRun, seq: number, ms: number): MetricSnapshot =>
  makeSnapshot(run, seq, {
    totalRequests: 20 * seq,
    totalFailures: 0,
    endpoints: [
      {
        method: "GET",
        name: "/",
        requests: 20,
        failures: 0,
        sumResponseMs: 20 * ms,
        minResponseMs: ms,
        maxResponseMs: ms,
        histogram: [[ms, 20]],
      },
    ],
    errors: [],
  });

describe("judging aborting thresholds on each stored snapshot", () => {
  const metrics = new SqliteMetricsStore(":memory:");
  const { test } = makeLoadTest();
  // Five fast snapshots (50 ms), then one slow (500 ms): the target turned slow at 10 s.
  const snapshots: MetricSnapshot[] = [];
  let base: LoadTestRun;

  before(async () => {
    await metrics.init();
    base = makeRun(test, { status: "Running", startedAt: T0 });
    for (let seq = 1; seq <= 6; seq++) snapshots.push(snap(base, seq, seq <= 5 ? 50 : 500));
    for (const s of snapshots) await metrics.addMetricSnapshot(s);
  });
  after(() => metrics.close());

  const judgeAt = (thresholds: ThresholdItem[], seq: number, run: Partial<LoadTestRun> = {}) =>
    abortCause(metrics, { ...base, thresholds, ...run }, snapshots[seq - 1] as MetricSnapshot);

  it("breaks on the first slow snapshot over a window, with the value measured over it, not before", async () => {
    const rule = { threshold: "p95<300", abortOnFail: true, windowSec: 4 };
    assert.equal(await judgeAt([rule], 5), null);
    assert.deepEqual(await judgeAt([rule], 6), {
      threshold: "p95<300",
      measured: 500,
      windowSec: 4,
      atSec: 12,
      seq: 6,
    });
  });

  it("judges the whole run so far without a window: the slow share is too small for p50 there, not in a 2 s window", async () => {
    assert.equal(await judgeAt([{ threshold: "p50<300", abortOnFail: true }], 6), null);
    assert.deepEqual(await judgeAt([{ threshold: "p50<300", abortOnFail: true, windowSec: 2 }], 6), {
      threshold: "p50<300",
      measured: 500,
      windowSec: 2,
      atSec: 12,
      seq: 6,
    });
  });

  it("waits delayAbortEvalSec into the run", async () => {
    const rule = { threshold: "p95<300", abortOnFail: true, windowSec: 2 };
    assert.equal(await judgeAt([{ ...rule, delayAbortEvalSec: 13 }], 6), null);
    assert.equal((await judgeAt([{ ...rule, delayAbortEvalSec: 12 }], 6))?.threshold, "p95<300");
  });

  it("never aborts on a threshold without abortOnFail, one with nothing measured yet, or before the run started", async () => {
    assert.equal(await judgeAt(["p95<300", { threshold: "p95<300" }], 6), null);
    assert.equal(await judgeAt([{ threshold: "GET /never:p95<1", abortOnFail: true }], 6), null);
    assert.equal(
      await judgeAt([{ threshold: "p95<300", abortOnFail: true, windowSec: 2 }], 6, { startedAt: null }),
      null,
    );
  });

  it("answers the first of several that breaks, and judges each endpoint by its own rows", async () => {
    const cause = await judgeAt(
      [
        { threshold: "rps>1", abortOnFail: true, windowSec: 4 },
        { threshold: "GET /:max<400", abortOnFail: true, windowSec: 2 },
        { threshold: "p99<300", abortOnFail: true, windowSec: 2 },
      ],
      6,
    );
    assert.deepEqual(cause, { threshold: "GET /:max<400", measured: 500, windowSec: 2, atSec: 12, seq: 6 });
  });
});
