import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { packHistogram } from "@loadmgr/shared";
import type { SnapshotPoint } from "../metrics/snapshotRecord.js";
import { graphPoints, timeseriesPoints } from "./series.js";

const point = (seq: number, requests: number, pairs: [number, number][]): SnapshotPoint => ({
  seq,
  timestamp: 1_000_000 + seq * 2000,
  intervalMs: 2000,
  users: 4,
  requests,
  failures: 0,
  sumResponseMs: pairs.reduce((sum, [ms, count]) => sum + ms * count, 0),
  minResponseMs: pairs[0]?.[0] ?? 0,
  maxResponseMs: pairs.at(-1)?.[0] ?? 0,
  histogram: packHistogram(pairs),
});

describe("an interval without a timed request", () => {
  const points = [
    point(1, 40, [
      [40, 30],
      [50, 10],
    ]),
    point(2, 0, []),
    point(3, 2, []), // requests without a response time (Locust counts them, times none)
  ];

  it("has no latency in the time series: null, never 0 ms; its rates are still 0", () => {
    const [timed, empty, untimed] = timeseriesPoints(points);
    assert.deepEqual(
      [timed?.avgResponseMs, timed?.p50ResponseMs, timed?.p99ResponseMs, timed?.minResponseMs],
      [42.5, 40, 50, 40],
    );
    assert.equal(empty?.avgResponseMs, null);
    for (const p of [empty, untimed]) {
      assert.deepEqual(
        [p?.p50ResponseMs, p?.p95ResponseMs, p?.p99ResponseMs, p?.minResponseMs, p?.maxResponseMs],
        [null, null, null, null, null],
      );
    }
    assert.equal(empty?.requestsPerSec, 0);
    assert.equal(untimed?.requestsPerSec, 1);
  });

  it("has no latency point in the chart, unless merged with one that has", () => {
    assert.deepEqual(
      graphPoints(points, 10).map((p) => [p.requestsPerSec, p.p95ResponseMs]),
      [
        [20, 50],
        [0, null],
        [1, null],
      ],
    );
    const merged = graphPoints(points.slice(0, 2), 1);
    assert.deepEqual([merged[0]?.requestsPerSec, merged[0]?.p50ResponseMs], [10, 40]);
  });
});
