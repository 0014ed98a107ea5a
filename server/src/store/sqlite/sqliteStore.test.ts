import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import Database from "better-sqlite3";
import { makeLoadTest, makeRun, makeSnapshot } from "../../../../test/helpers/fixtures.js";
import { storeContract } from "../store.contract.js";
import { SqliteStore } from "./sqliteStore.js";

storeContract("SQLite file", () => {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-sqlite-"));
  const store = new SqliteStore(join(dir, "loadmgr.sqlite"));
  return Promise.resolve({
    store,
    close: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  });
});

describe("SQLite store upgrade", () => {
  it("moves snapshots kept in the old one-column form to the current form, with their stats", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loadmgr-sqlite-v1-"));
    const path = join(dir, "loadmgr.sqlite");
    try {
      const store = new SqliteStore(path);
      await store.init();
      const { test, revision } = makeLoadTest();
      await store.createLoadTest(test, revision);
      const run = makeRun(test);
      await store.createRun(run);
      const old = [makeSnapshot(run, 1), makeSnapshot(run, 2)];
      const raw = new Database(path);
      raw.exec("create table metrics_timeseries_v1 (load_test_run_id text, seq integer, snapshot text)");
      const insert = raw.prepare("insert into metrics_timeseries_v1 values (?, ?, ?)");
      for (const snapshot of old) insert.run(run.id, snapshot.seq, JSON.stringify(snapshot));
      raw.close();

      await store.init();
      assert.deepEqual(await store.listMetricSnapshots(run.id), old);
      assert.equal((await store.getRunStats(run.id))?.snapshots, 2);
      await store.init(); // the old table is gone: nothing is converted twice
      assert.equal((await store.getRunStats(run.id))?.snapshots, 2);
      await store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("SQLite chart blocks", () => {
  it("are rebuilt on start for snapshots merged before blocks existed, and charts read the same", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loadmgr-sqlite-blocks-"));
    const path = join(dir, "loadmgr.sqlite");
    try {
      const store = new SqliteStore(path);
      await store.init();
      const { test, revision } = makeLoadTest();
      await store.createLoadTest(test, revision);
      const run = makeRun(test);
      await store.createRun(run);
      for (let seq = 1; seq <= 70; seq++) {
        const snapshot = makeSnapshot(run, seq);
        await store.addMetricSnapshot(snapshot, { ...summary, seq, timestamp: snapshot.timestamp });
      }
      await store.getRunStats(run.id); // merges: blocks are built
      const before = await store.listSnapshotPoints(run.id, {}, 32);
      await store.close();
      const raw = new Database(path);
      assert.equal((raw.prepare("select count(*) as n from metrics_blocks").get() as { n: number }).n, 5);
      raw.exec("delete from metrics_blocks"); // as a database migrated to 0005 has them
      raw.close();

      const reopened = new SqliteStore(path);
      await reopened.init();
      assert.deepEqual(await reopened.listSnapshotPoints(run.id, {}, 32), before);
      assert.equal(before.length, 3);
      assert.equal(
        before.reduce((n, p) => n + p.requests, 0),
        70 * 30,
      );
      // New snapshots after the upgrade get blocks of their own; the old ones must not drop out.
      for (let seq = 71; seq <= 80; seq++) {
        const snapshot = makeSnapshot(run, seq);
        await reopened.addMetricSnapshot(snapshot, { ...summary, seq, timestamp: snapshot.timestamp });
      }
      await reopened.getRunStats(run.id);
      const after = await reopened.listSnapshotPoints(run.id, {}, 32);
      assert.equal(after.length, 3);
      assert.equal(
        after.reduce((n, p) => n + p.requests, 0),
        80 * 30,
      );
      await reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

const summary = {
  users: 10,
  requestsPerSec: 15,
  failuresPerSec: 0.5,
  totalRequests: 0,
  totalFailures: 0,
  avgResponseMs: 1,
};
