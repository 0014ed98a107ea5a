import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Histogram, WindowStats, type LoadTestRun } from "@loadmgr/shared";
import { makeLoadTest, makeRun, makeSnapshot } from "../../../test/helpers/fixtures.js";
import type { MetricsStore } from "./metricsStore.js";
import { groupBySeq } from "./pointGroups.js";
import type { SnapshotPoint } from "./snapshotRecord.js";

/** The behaviour every MetricsStore must have. Each driver's test file calls this with a real database. */
export function metricsStoreContract(
  name: string,
  open: () => Promise<{ metrics: MetricsStore; close: () => Promise<void> }>,
): void {
  describe(`Metrics store contract: ${name}`, () => {
    let metrics: MetricsStore;
    let close: () => Promise<void>;

    before(async () => {
      ({ metrics, close } = await open());
      await metrics.init();
      await metrics.init(); // idempotent
    });
    after(() => close());

    /** A run of a test of its own account (the metrics store reads no entity: none is stored). */
    function newRun(): LoadTestRun {
      return makeRun(makeLoadTest({ accountId: `acc-${randomUUID()}` }).test);
    }

    it("stores each snapshot once, keeps whole-run stats and chart points, and reads windows", async () => {
      const run = newRun();
      const snapshots = [1, 2, 3, 4].map((seq) => makeSnapshot(run, seq));
      // Out of order and with a resend: each is stored and counted once.
      const outcomes = [];
      for (const seq of [2, 1, 3, 2, 4, 4, 1]) {
        const snapshot = snapshots[seq - 1];
        assert.ok(snapshot);
        outcomes.push(await metrics.addMetricSnapshot(snapshot));
      }
      assert.deepEqual(outcomes, ["added", "added", "added", "duplicate", "added", "duplicate", "duplicate"]);
      assert.deepEqual(await metrics.listMetricSnapshots(run.id), snapshots);

      const expected = new WindowStats();
      for (const snapshot of snapshots) expected.addSnapshot(snapshot);
      assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
      assert.equal(expected.toRecord().endpoints[0]?.requests, 80);

      const [first, second, third] = snapshots;
      assert.ok(first && second && third);
      const window = await metrics.listMetricSnapshots(run.id, { from: second.timestamp, to: third.timestamp });
      assert.deepEqual(
        window.map((s) => s.seq),
        [2, 3],
      );
      assert.deepEqual(
        (await metrics.listMetricSnapshots(run.id, { afterSeq: 3 })).map((s) => s.seq),
        [4],
      );
      assert.deepEqual(
        (await metrics.listMetricSnapshots(run.id, { afterSeq: 1 }, 2)).map((s) => s.seq),
        [2, 3],
      );
      assert.deepEqual(
        (await metrics.listMetricSnapshots(run.id, { afterSeq: 1, throughSeq: 3 })).map((s) => s.seq),
        [2, 3],
      );
      assert.deepEqual(
        (await metrics.listSnapshotPoints(run.id, { afterSeq: 2, throughSeq: 4 })).map((p) => p.seq),
        [3, 4],
      );
      assert.deepEqual(
        (await metrics.listSnapshotPoints(run.id, { afterSeq: 1 }, 1, 2)).map((p) => p.seq),
        [2, 3],
      );
      assert.equal(await metrics.countMetricSnapshots(run.id), 4);
      assert.equal(await metrics.countMetricSnapshots(run.id, { from: second.timestamp, to: third.timestamp }), 2);
      assert.equal(await metrics.countMetricSnapshots(run.id, { afterSeq: 3 }), 1);
      assert.equal(await metrics.countMetricSnapshots("no-such-run"), 0);
      const points = await metrics.listSnapshotPoints(run.id, { to: second.timestamp });
      assert.deepEqual(
        points.map(({ seq, requests, failures, users, intervalMs }) => ({
          seq,
          requests,
          failures,
          users,
          intervalMs,
        })),
        [
          { seq: 1, requests: 30, failures: 1, users: 10, intervalMs: 2000 },
          { seq: 2, requests: 30, failures: 1, users: 10, intervalMs: 2000 },
        ],
      );
      const merged = new Histogram();
      merged.addPacked(points[0]?.histogram ?? new Uint8Array());
      assert.deepEqual(merged.toPairs(), [
        [3, 5],
        [40, 10],
        [120, 4],
        [180, 1],
        [200, 6],
        [410, 4],
      ]);
      assert.equal(points[0]?.minResponseMs, 3.2);
      assert.equal(points[0]?.maxResponseMs, 410);
      assert.equal(points[0]?.sumResponseMs, 20 * 40 + 1 + 3000);
      assert.deepEqual(
        await metrics.listSnapshotPoints(run.id, { from: third.timestamp + 1, to: third.timestamp + 2 }),
        [],
      );
      assert.equal(await metrics.getRunStats("no-such-run"), undefined);
    });

    it("keeps each region's figures of a run split over regions, beside the whole run's", async () => {
      const run = newRun();
      const expected = new WindowStats();
      for (let seq = 1; seq <= 40; seq++) {
        const whole = makeSnapshot(run, seq);
        const [get, post] = whole.endpoints;
        assert.ok(get && post);
        // eu made the GETs, us the POSTs and one of the GETs' buckets.
        const snapshot = {
          ...whole,
          regions: [
            {
              region: "eu",
              users: 6,
              endpoints: [{ ...get, requests: 19, histogram: get.histogram.slice(1) }],
              errors: whole.errors,
            },
            {
              region: "us",
              users: 4,
              endpoints: [{ ...get, requests: 1, failures: 0, histogram: [[3, 1]] as [number, number][] }, post],
              errors: [],
            },
          ],
        };
        await metrics.addMetricSnapshot(snapshot);
        expected.addSnapshot(snapshot);
        if (seq === 1) assert.deepEqual(await metrics.listMetricSnapshots(run.id), [snapshot]);
      }
      const stats = await metrics.getRunStats(run.id);
      assert.deepEqual(stats, expected.toRecord());
      assert.deepEqual(
        stats?.regions?.map((r) => [r.region, r.users, r.endpoints.map((e) => [e.name, e.requests])]),
        [
          ["eu", 6, [["/", 19 * 40]]],
          [
            "us",
            4,
            [
              ["/", 40],
              ["/cart", 400],
            ],
          ],
        ],
      );
      // A window read decodes the regions too.
      const window = await metrics.listMetricSnapshots(run.id, { afterSeq: 39 });
      assert.equal(window[0]?.regions?.[1]?.endpoints[1]?.name, "/cart");
    });

    it("keeps whole-run stats exact across many snapshots, read at any point", async () => {
      const run = newRun();
      const expected = new WindowStats();
      const grouped = async (groupSeqs: number) => {
        const merged = await metrics.listSnapshotPoints(run.id, {}, groupSeqs);
        // Byte-for-byte what merging the single points gives (blocks or not); Buffer vs Uint8Array aside.
        const reference = groupBySeq(await metrics.listSnapshotPoints(run.id), groupSeqs);
        const plain = (points: SnapshotPoint[]) => points.map((p) => ({ ...p, histogram: [...p.histogram] }));
        assert.deepEqual(plain(merged), plain(reference));
        return merged;
      };
      for (let seq = 1; seq <= 150; seq++) {
        if (seq === 40) continue; // a seq that never arrived
        const snapshot = makeSnapshot(run, seq);
        await metrics.addMetricSnapshot(snapshot);
        expected.addSnapshot(snapshot);
        if (seq === 37) assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
      }
      // Some snapshots merged in batches, the newest not yet: groups read both the same way.
      assert.equal((await grouped(16)).length, 10);
      assert.equal((await grouped(32)).at(-1)?.seq, 150);
      assert.equal(
        (await grouped(48)).reduce((n, p) => n + p.requests, 0),
        149 * 30,
      );
      assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
      await grouped(16);
      assert.equal((await grouped(1)).length, 149);
      // The group size the store prefers for charts is never smaller than asked, and reads the same way.
      for (const wanted of [1, 5, 16, 20, 100]) assert.ok(metrics.chartGroupSeqs(wanted) >= wanted, String(wanted));
      await grouped(metrics.chartGroupSeqs(20));
    });

    it("merges in the background: reads are the same before and after, and a final snapshot is merged too", async () => {
      const run = newRun();
      const expected = new WindowStats();
      const plain = (points: SnapshotPoint[]) => points.map((p) => ({ ...p, histogram: [...p.histogram] }));
      for (let seq = 1; seq <= 300; seq++) {
        const snapshot = makeSnapshot(run, seq, { final: seq === 300 });
        assert.equal(await metrics.addMetricSnapshot(snapshot), "added");
        expected.addSnapshot(snapshot);
      }
      const statsBefore = await metrics.getRunStats(run.id);
      const chartBefore = plain(await metrics.listSnapshotPoints(run.id, {}, metrics.chartGroupSeqs(32)));
      await metrics.settle();
      assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
      assert.deepEqual(statsBefore, expected.toRecord());
      const chartAfter = plain(await metrics.listSnapshotPoints(run.id, {}, metrics.chartGroupSeqs(32)));
      assert.deepEqual(chartAfter, chartBefore);
      assert.deepEqual(
        chartAfter,
        plain(groupBySeq(await metrics.listSnapshotPoints(run.id), metrics.chartGroupSeqs(32))),
      );
      // A resend after the merge changes nothing.
      assert.equal(await metrics.addMetricSnapshot(makeSnapshot(run, 128)), "duplicate");
      await metrics.settle();
      assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
    });

    it("counts a seq that lands after the batch it belongs to was merged (overlapping pushes)", async () => {
      const run = newRun();
      const expected = new WindowStats();
      const plain = (points: SnapshotPoint[]) => points.map((p) => ({ ...p, histogram: [...p.histogram] }));
      const add = async (seq: number, final = false): Promise<void> => {
        const snapshot = makeSnapshot(run, seq, { final });
        assert.equal(await metrics.addMetricSnapshot(snapshot), "added");
        expected.addSnapshot(snapshot);
      };
      const check = async (): Promise<void> => {
        assert.deepEqual(await metrics.getRunStats(run.id), expected.toRecord());
        const grouped = await metrics.listSnapshotPoints(run.id, {}, metrics.chartGroupSeqs(16));
        assert.deepEqual(
          plain(grouped),
          plain(groupBySeq(await metrics.listSnapshotPoints(run.id), metrics.chartGroupSeqs(16))),
        );
      };
      for (let seq = 1; seq <= 126; seq++) await add(seq);
      await add(128); // the batch's merge starts with 127 missing
      await metrics.settle();
      await add(127);
      await check();
      for (let seq = 129; seq <= 256; seq++) await add(seq);
      await metrics.settle();
      await check();
      await add(258, true); // 257 lands after the final one
      await metrics.settle();
      await add(257);
      await metrics.settle();
      // The final merge took everything stored then; 257 is stored and listed, and counted by a
      // store that merges by row (SQLite) — a store that merges through a seq (MongoDB) may not.
      assert.equal(await metrics.countMetricSnapshots(run.id), 258);
    });

    it("deletes a test's snapshots, blocks and stats, and no other test's", async () => {
      const run = newRun();
      const other = newRun();
      for (let seq = 1; seq <= 130; seq++) {
        await metrics.addMetricSnapshot(makeSnapshot(run, seq));
        await metrics.addMetricSnapshot(makeSnapshot(other, seq));
      }
      await metrics.settle();
      await metrics.deleteLoadTestMetrics(run.loadTestId);
      assert.deepEqual(await metrics.listMetricSnapshots(run.id), []);
      assert.deepEqual(await metrics.listSnapshotPoints(run.id, {}, metrics.chartGroupSeqs(64)), []);
      assert.equal(await metrics.getRunStats(run.id), undefined);
      assert.equal(await metrics.countMetricSnapshots(other.id), 130);
      assert.equal((await metrics.getRunStats(other.id))?.snapshots, 130);
      assert.equal((await metrics.listSnapshotPoints(other.id, {}, metrics.chartGroupSeqs(64))).at(-1)?.seq, 130);
    });

    it("keeps a run's Locust files byte for byte, replaces one sent again, and deletes them with the test", async () => {
      const run = newRun();
      const other = newRun();
      const file = (runOf: LoadTestRun, name: "locust.log" | "locust_stats.csv", content: Buffer) => ({
        runId: runOf.id,
        loadTestId: runOf.loadTestId,
        name,
        content,
        bytes: content.length,
        truncated: false,
        collectedAt: 1_000,
      });
      // Bytes as they come, not text: a log may hold anything a script printed.
      const log = Buffer.concat([Buffer.from("line 1\n\u00e9\n"), Buffer.from([0, 255, 10])]);
      await metrics.putRunFile(file(run, "locust.log", log));
      await metrics.putRunFile(file(run, "locust_stats.csv", Buffer.from("Type,Name\nold\n")));
      await metrics.putRunFile({ ...file(run, "locust_stats.csv", Buffer.from("Type,Name\n")), truncated: true });
      await metrics.putRunFile(file(other, "locust.log", Buffer.from("other\n")));
      assert.deepEqual(await metrics.listRunFiles(run.id), [
        { name: "locust.log", bytes: log.length, truncated: false, collectedAt: 1_000 },
        { name: "locust_stats.csv", bytes: 10, truncated: true, collectedAt: 1_000 },
      ]);
      const stored = await metrics.getRunFile(run.id, "locust.log");
      assert.ok(stored !== undefined);
      assert.ok(stored.content.equals(log));
      assert.equal((await metrics.getRunFile(run.id, "locust_stats.csv"))?.content.toString(), "Type,Name\n");
      assert.equal(await metrics.getRunFile(run.id, "locust_failures.csv"), undefined);
      await metrics.deleteLoadTestMetrics(run.loadTestId);
      assert.deepEqual(await metrics.listRunFiles(run.id), []);
      assert.equal((await metrics.listRunFiles(other.id)).length, 1);
    });
  });
}
