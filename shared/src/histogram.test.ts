import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { locustBucket, referencePercentile } from "../../test/helpers/locustReference.js";
import { Histogram, packHistogram } from "./histogram.js";

describe("Histogram", () => {
  it("reads percentiles the way Locust does", () => {
    // Locust walks down from the slowest bucket until at most floor(n * p) requests remain below.
    const h = Histogram.of([
      [10, 50],
      [20, 30],
      [100, 15],
      [900, 5],
    ]);
    assert.deepEqual(h.percentiles(100, { p50: 0.5, p80: 0.8, p95: 0.95, p99: 0.99, max: 1 }), {
      p50: 20,
      p80: 100,
      p95: 900,
      p99: 900,
      max: 900,
    });
    assert.deepEqual(new Histogram().percentiles(0, { p50: 0.5 }), { p50: 0 });
  });

  it("equals the sorted-samples definition for any window of merged intervals", () => {
    let seed = 7;
    const random = (): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let round = 0; round < 50; round++) {
      const intervals = Array.from({ length: 1 + Math.floor(random() * 8) }, () =>
        Array.from({ length: Math.floor(random() * 200) }, () => locustBucket(Math.exp(random() * 9))),
      );
      const merged = new Histogram();
      for (const samples of intervals) {
        const interval = new Histogram();
        for (const sample of samples) interval.add(sample, 1);
        merged.addPacked(packHistogram(interval.toPairs()));
      }
      const all = intervals.flat();
      for (const percent of [0.5, 0.66, 0.9, 0.95, 0.99, 0.999, 1]) {
        assert.equal(merged.percentiles(all.length, { p: percent }).p, referencePercentile(all, percent));
      }
    }
  });

  it("packs and unpacks any buckets, large counts and gaps included", () => {
    const pairs: [number, number][] = [
      [0, 1],
      [1, 127],
      [99, 128],
      [86_400_000, 1e12],
    ];
    const unpacked = new Histogram();
    unpacked.addPacked(packHistogram(pairs));
    assert.deepEqual(unpacked.toPairs(), pairs);
    assert.equal(packHistogram([]).length, 0);
  });

  it("merges by adding counts per bucket", () => {
    const a = Histogram.of([
      [5, 1],
      [7, 2],
    ]);
    a.merge(
      Histogram.of([
        [7, 3],
        [2, 1],
      ]),
    );
    assert.deepEqual(a.toPairs(), [
      [2, 1],
      [5, 1],
      [7, 5],
    ]);
  });
});
