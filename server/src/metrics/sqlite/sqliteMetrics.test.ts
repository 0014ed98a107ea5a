import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { makeLoadTest, makeRun, makeSnapshot } from "../../../../test/helpers/fixtures.js";
import { metricsStoreContract } from "../metricsStore.contract.js";
import { SqliteMetricsStore } from "./sqliteMetrics.js";

function tempFile(prefix: string): { path: string; remove: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { path: join(dir, "loadmgr.sqlite"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

metricsStoreContract("SQLite file, merges in a worker thread", () => {
  const { path, remove } = tempFile("loadmgr-sqlite-metrics-");
  const metrics = new SqliteMetricsStore(path);
  return Promise.resolve({
    metrics,
    close: async () => {
      await metrics.close();
      remove();
    },
  });
});

metricsStoreContract("SQLite in memory, merges on the same thread", () => {
  const metrics = new SqliteMetricsStore(":memory:");
  return Promise.resolve({ metrics, close: () => metrics.close() });
});

const count = (path: string, sql: string): number => {
  const raw = new Database(path, { readonly: true });
  try {
    return (raw.prepare(sql).get() as { n: number }).n;
  } finally {
    raw.close();
  }
};

describe("SQLite metrics store", () => {
  it("merges a run's snapshots per batch of 128 and at its final one, in the merge worker", async () => {
    const { path, remove } = tempFile("loadmgr-sqlite-merges-");
    const metrics = new SqliteMetricsStore(path);
    try {
      await metrics.init();
      const run = makeRun(makeLoadTest().test);
      for (let seq = 1; seq <= 127; seq++) await metrics.addMetricSnapshot(makeSnapshot(run, seq));
      await metrics.settle();
      assert.equal(count(path, "select count(*) as n from run_stats"), 0);
      await metrics.addMetricSnapshot(makeSnapshot(run, 128));
      await metrics.settle();
      assert.equal(count(path, "select count(*) as n from metrics_timeseries where merged = 0"), 0);
      assert.equal(count(path, "select count(*) as n from metrics_blocks"), 8);
      for (let seq = 129; seq <= 140; seq++)
        await metrics.addMetricSnapshot(makeSnapshot(run, seq, { final: seq === 140 }));
      await metrics.settle();
      assert.equal(count(path, "select count(*) as n from metrics_timeseries where merged = 0"), 0);
      assert.equal(count(path, "select json_extract(stats, '$.snapshots') as n from run_stats"), 140);
    } finally {
      await metrics.close();
      remove();
    }
  });

  it("moves snapshots kept in the old one-column form to the current form, with their stats", async () => {
    const { path, remove } = tempFile("loadmgr-sqlite-v1-");
    try {
      const metrics = new SqliteMetricsStore(path);
      await metrics.init();
      const run = makeRun(makeLoadTest().test);
      const old = [makeSnapshot(run, 1), makeSnapshot(run, 2)];
      const raw = new Database(path);
      raw.exec("create table metrics_timeseries_v1 (load_test_run_id text, seq integer, snapshot text)");
      const insert = raw.prepare("insert into metrics_timeseries_v1 values (?, ?, ?)");
      for (const snapshot of old) insert.run(run.id, snapshot.seq, JSON.stringify(snapshot));
      raw.close();

      await metrics.init();
      assert.deepEqual(await metrics.listMetricSnapshots(run.id), old);
      assert.equal((await metrics.getRunStats(run.id))?.snapshots, 2);
      await metrics.init(); // the old table is gone: nothing is converted twice
      assert.equal((await metrics.getRunStats(run.id))?.snapshots, 2);
      await metrics.close();
    } finally {
      remove();
    }
  });

  it("rebuilds chart blocks on start for snapshots merged before blocks existed, and charts read the same", async () => {
    const { path, remove } = tempFile("loadmgr-sqlite-blocks-");
    try {
      const metrics = new SqliteMetricsStore(path);
      await metrics.init();
      const run = makeRun(makeLoadTest().test);
      for (let seq = 1; seq <= 70; seq++)
        await metrics.addMetricSnapshot(makeSnapshot(run, seq, { final: seq === 70 }));
      await metrics.settle(); // merged: blocks are built
      const before = await metrics.listSnapshotPoints(run.id, {}, 32);
      await metrics.close();
      assert.equal(count(path, "select count(*) as n from metrics_blocks"), 5);
      const raw = new Database(path);
      raw.exec("delete from metrics_blocks"); // as a database migrated to 0005 has them
      raw.close();

      const reopened = new SqliteMetricsStore(path);
      await reopened.init();
      assert.equal(count(path, "select count(*) as n from metrics_blocks"), 5);
      assert.deepEqual(await reopened.listSnapshotPoints(run.id, {}, 32), before);
      assert.equal(before.length, 3);
      assert.equal(
        before.reduce((n, p) => n + p.requests, 0),
        70 * 30,
      );
      // New snapshots after the upgrade get blocks of their own; the old ones must not drop out.
      for (let seq = 71; seq <= 80; seq++)
        await reopened.addMetricSnapshot(makeSnapshot(run, seq, { final: seq === 80 }));
      await reopened.settle();
      const after = await reopened.listSnapshotPoints(run.id, {}, 32);
      assert.equal(after.length, 3);
      assert.equal(
        after.reduce((n, p) => n + p.requests, 0),
        80 * 30,
      );
      await reopened.close();
    } finally {
      remove();
    }
  });
});
