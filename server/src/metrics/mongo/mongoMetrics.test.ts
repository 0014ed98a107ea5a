import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { startMongoWireServer } from "../../../../test/helpers/ferretdb.js";
import { makeLoadTest, makeRun, makeSnapshot } from "../../../../test/helpers/fixtures.js";
import { metricsStoreContract } from "../metricsStore.contract.js";
import { groupBySeq } from "../pointGroups.js";
import type { SnapshotPoint } from "../snapshotRecord.js";
import { MongoMetricsStore } from "./mongoMetrics.js";

metricsStoreContract(
  process.env.MONGODB_URI ? "MongoDB (MONGODB_URI)" : "MongoDB wire protocol (FerretDB 1.24, SQLite)",
  async () => {
    const server = await startMongoWireServer();
    const metrics = new MongoMetricsStore(server.uri, `loadmgr_test_${randomUUID().slice(0, 8)}`);
    return {
      metrics,
      close: async () => {
        await metrics.close();
        await server.stop();
      },
    };
  },
);

describe("MongoDB metrics store", () => {
  it("writes whole blocks and the stats per batch, and charts a run whose stats predate blocks", async () => {
    const server = await startMongoWireServer();
    const database = `loadmgr_test_${randomUUID().slice(0, 8)}`;
    const raw = new MongoClient(server.uri);
    const metrics = new MongoMetricsStore(server.uri, database);
    try {
      await metrics.init();
      const run = makeRun(makeLoadTest().test);
      for (let seq = 1; seq <= 130; seq++) await metrics.addMetricSnapshot(makeSnapshot(run, seq));
      await metrics.settle();
      const db = raw.db(database);
      const chunk = await db.collection("metrics_blocks").findOne({ _id: `${run.id}~0` as never });
      assert.equal((chunk?.blocks as unknown[] | undefined)?.length, 8);
      const doc = await db.collection("run_stats").findOne({ _id: run.id as never });
      assert.equal(doc?.blocksThrough, 128);
      // The merge asked for at seq 128 takes what is stored when it reads (129 and 130 may be).
      assert.ok(Number(doc?.lastSeq) >= 128, String(doc?.lastSeq));
      const chart = await metrics.listSnapshotPoints(run.id, {}, 32);
      assert.deepEqual(
        chart.map((p) => [p.seq, p.requests]),
        [
          [32, 32 * 30],
          [64, 32 * 30],
          [96, 32 * 30],
          [128, 32 * 30],
          [130, 2 * 30],
        ],
      );
      // Stats written before blocks existed say nothing of them: charts read the snapshots.
      await db.collection("metrics_blocks").deleteMany({});
      await db.collection("run_stats").updateOne({ _id: run.id as never }, { $unset: { blocksThrough: "" } });
      assert.deepEqual(await metrics.listSnapshotPoints(run.id, {}, 32), chart);
    } finally {
      await metrics.close();
      await raw.close();
      await server.stop();
    }
  });

  it("charts a run longer than one chunk document (2,048 seqs) from its chunks, exactly", async () => {
    const server = await startMongoWireServer();
    const metrics = new MongoMetricsStore(server.uri, `loadmgr_test_${randomUUID().slice(0, 8)}`);
    try {
      await metrics.init();
      const run = makeRun(makeLoadTest().test);
      const last = 2_100;
      for (let seq = 1; seq <= last; seq++)
        await metrics.addMetricSnapshot(makeSnapshot(run, seq, { final: seq === last }));
      await metrics.settle();
      const plain = (points: SnapshotPoint[]) => points.map((p) => ({ ...p, histogram: [...p.histogram] }));
      const reference = await metrics.listSnapshotPoints(run.id); // every snapshot, no blocks
      for (const groupSeqs of [16, 48, 128, 512, 1024]) {
        assert.deepEqual(
          plain(await metrics.listSnapshotPoints(run.id, {}, groupSeqs)),
          plain(groupBySeq(reference, groupSeqs)),
        );
      }
      assert.equal((await metrics.getRunStats(run.id))?.snapshots, last);
    } finally {
      await metrics.close();
      await server.stop();
    }
  });
});
