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
