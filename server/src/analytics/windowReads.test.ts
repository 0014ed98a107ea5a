import assert from "node:assert/strict";
import { it } from "node:test";
import type { SnapshotPoint, SnapshotWindow } from "../metrics/snapshotRecord.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import { checkWindowSize, MAX_WINDOW_SNAPSHOTS, pointPages } from "./windowReads.js";

/** Chart rows 1..count, as a store would list them (only what these reads call). */
function storeOf(count: number, calls: number[] = []): MetricsStore {
  const point = (seq: number): SnapshotPoint => ({
    seq,
    timestamp: seq * 1000,
    intervalMs: 1000,
    users: 1,
    requests: 1,
    failures: 0,
    sumResponseMs: 1,
    minResponseMs: 1,
    maxResponseMs: 1,
    histogram: new Uint8Array(),
  });
  return {
    countMetricSnapshots: (_runId: string, window?: SnapshotWindow) =>
      Promise.resolve(Math.max(0, count - (window?.afterSeq ?? 0))),
    listSnapshotPoints: (_runId: string, window?: SnapshotWindow, _group?: number, limit = Infinity) => {
      calls.push(limit);
      const first = (window?.afterSeq ?? 0) + 1;
      const last = Math.min(count, first + limit - 1);
      return Promise.resolve(Array.from({ length: Math.max(0, last - first + 1) }, (_, i) => point(first + i)));
    },
  } as unknown as MetricsStore;
}

it("refuses a window of more than MAX_WINDOW_SNAPSHOTS snapshots, naming the field to narrow", async () => {
  assert.equal(await checkWindowSize(storeOf(MAX_WINDOW_SNAPSHOTS), "r", {}), MAX_WINDOW_SNAPSHOTS);
  await assert.rejects(checkWindowSize(storeOf(MAX_WINDOW_SNAPSHOTS + 1), "r", {}), {
    appCode: "WINDOW_TOO_LARGE",
    field: "id",
  });
  await assert.rejects(checkWindowSize(storeOf(MAX_WINDOW_SNAPSHOTS + 1), "r", { from: 0 }), { field: "from" });
});

it("reads chart rows in pages of at most 250, stopping at `max` and at the window's end", async () => {
  const calls: number[] = [];
  const seqs: number[] = [];
  for await (const page of pointPages(storeOf(1000, calls), "r", { afterSeq: 100 }, undefined, 601)) {
    seqs.push(...page.map((p) => p.seq));
  }
  assert.deepEqual(
    seqs,
    Array.from({ length: 601 }, (_, i) => 101 + i),
  );
  assert.deepEqual(calls, [250, 250, 101]);
  const rest: number[] = [];
  for await (const page of pointPages(storeOf(1000), "r", { afterSeq: 900 }, undefined, 601)) rest.push(page.length);
  assert.deepEqual(rest, [100]);
});
