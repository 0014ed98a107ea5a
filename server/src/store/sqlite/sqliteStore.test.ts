import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "node:test";
import Database from "better-sqlite3";
import { DEFAULT_REGRESSION_RULE } from "@loadmgr/shared";
import { makeLoadTest, makeResults, makeRun } from "../../../../test/helpers/fixtures.js";
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

it("brings a file from before run numbers, results, test thresholds, auto-stop, agent pools, projects, baselines, allowed hosts and outcomes up to date", async () => {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-sqlite-old-"));
  const path = join(dir, "loadmgr.sqlite");
  try {
    const store = new SqliteStore(path);
    await store.init();
    const { test, revision } = makeLoadTest({ tags: ["nightly"], targetUrl: "http://127.0.0.1:9123" });
    await store.tests.create(test, revision, []);
    const runs = [0, 1, 2].map((i) => makeRun(test, { createdAt: test.createdAt + i, name: `run ${i}` }));
    for (const run of runs) await store.runs.create(run);
    await store.close();

    // The file as 0007 left it: without 0008-0011's columns and tables, its recent runs without their fields.
    const old = new Database(path);
    const entries = runs.map((r) => ({ id: r.id, name: r.name, status: r.status, createdAt: r.createdAt }));
    old.exec(`
      ALTER TABLE load_test_runs DROP COLUMN number; ALTER TABLE load_test_runs DROP COLUMN results;
      ALTER TABLE load_test_runs DROP COLUMN auto_stop; ALTER TABLE load_tests DROP COLUMN run_count;
      ALTER TABLE load_tests DROP COLUMN thresholds; ALTER TABLE load_tests DROP COLUMN auto_stop;
      DROP TABLE agent_pools; DROP TABLE agents;
      ALTER TABLE load_tests DROP COLUMN agent_pool; ALTER TABLE load_tests DROP COLUMN default_workers;
      ${["agent_pool", "workers", "min_workers", "labels", "placement", "master_endpoint", "waiting_reason", "warnings"]
        .map((c) => `ALTER TABLE load_test_runs DROP COLUMN ${c};`)
        .join(" ")}
      DROP TABLE script_files; DROP TABLE secrets; ALTER TABLE script_revisions DROP COLUMN files;
      ${["default_stages", "env", "secrets"].map((c) => `ALTER TABLE load_tests DROP COLUMN ${c};`).join(" ")}
      ${["target_url", "tags", "env", "secrets", "stages", "shape_note"]
        .map((c) => `ALTER TABLE load_test_runs DROP COLUMN ${c};`)
        .join(" ")}
      ALTER TABLE load_test_runs DROP COLUMN baseline; ALTER TABLE load_test_runs DROP COLUMN "trigger";
      ALTER TABLE load_tests DROP COLUMN fail_on_regression; ALTER TABLE load_tests DROP COLUMN regression_rule;
      DROP TABLE webhooks; DROP TABLE webhook_deliveries; DROP TABLE schedules;
      ALTER TABLE load_tests DROP COLUMN allowed_hosts;
      DROP INDEX runs_outcome_idx; ALTER TABLE load_test_runs DROP COLUMN outcome;
      ALTER TABLE load_test_runs DROP COLUMN load_changes; DROP TABLE run_files;
      ALTER TABLE load_test_runs DROP COLUMN regions;
      ALTER TABLE load_test_runs DROP COLUMN duration_sec;
      DELETE FROM __drizzle_migrations WHERE created_at IN (SELECT created_at FROM __drizzle_migrations ORDER BY created_at DESC LIMIT 17);`);
    const oldVerdict = { passed: true, checkedAt: 5, checks: [{ threshold: "p95<300", measured: 12, passed: true }] };
    old.prepare("UPDATE load_test_runs SET verdict = ? WHERE id = ?").run(JSON.stringify(oldVerdict), runs[1]?.id);
    old.prepare("UPDATE load_tests SET recent_runs = ?").run(JSON.stringify(entries.reverse()));
    old.close();

    const upgraded = new SqliteStore(path);
    await upgraded.init();
    const stored = await upgraded.tests.get(test.id);
    assert.equal(stored?.runCount, 3);
    assert.deepEqual(stored?.thresholds, []);
    // Under its one name and, deprecated, the old one (0024).
    assert.deepEqual(stored?.autoStop, { errorRatePercent: 90, windowSec: 60, windowSeconds: 60 });
    const upgradedRuns = await Promise.all(runs.map((r) => upgraded.runs.get(r.id)));
    assert.deepEqual(
      upgradedRuns.map((r) => [r?.durationSec, r?.durationSeconds]),
      runs.map((r) => [r.durationSeconds, r.durationSeconds]),
    );
    assert.ok(stored?.recentRuns.every((r) => r.durationSec === r.durationSeconds && r.durationSec > 0));
    assert.deepEqual(
      stored?.recentRuns.map((r) => [r.name, r.number, r.results, r.passed]),
      [
        ["run 2", 3, null, null],
        ["run 1", 2, null, true],
        ["run 0", 1, null, null],
      ],
    );
    assert.deepEqual(await Promise.all(runs.map(async (r) => (await upgraded.runs.get(r.id))?.number)), [1, 2, 3]);
    assert.equal(stored?.agentPool, null);
    const old0 = await upgraded.runs.get(runs[0]?.id ?? "");
    assert.deepEqual(
      [old0?.agentPool, old0?.labels, old0?.placement, old0?.warnings, old0?.waitingReason],
      [null, {}, [], [], null],
    );
    // Runs from before projects record their test's target and tags; tests get no env, secrets or stages.
    assert.deepEqual(
      [old0?.targetUrl, old0?.tags, old0?.env, old0?.secrets, old0?.stages, old0?.shapeNote],
      ["http://127.0.0.1:9123", ["nightly"], {}, [], null, null],
    );
    assert.deepEqual([stored?.env, stored?.secrets, stored?.defaultStages, stored?.allowedHosts], [{}, [], null, []]);
    assert.deepEqual((await upgraded.tests.getRevision(test.id, revision.id))?.files, []);
    // Baselines, triggers and the verdict's new fields.
    assert.deepEqual([old0?.baseline, old0?.trigger, old0?.verdict], [false, { type: "api", scheduleId: null }, null]);
    assert.deepEqual((await upgraded.runs.get(runs[1]?.id ?? ""))?.verdict, {
      ...oldVerdict,
      aborted: false,
      abortedBy: null,
      baselineRunId: null,
      regressions: [],
    });
    assert.deepEqual([stored?.failOnRegression, stored?.regressionRule], [false, DEFAULT_REGRESSION_RULE]);
    assert.deepEqual([old0?.outcome, old0?.loadChanges], [null, []]);
    // The next run goes on from there.
    assert.equal((await upgraded.runs.create(makeRun(test)))?.number, 4);
    await upgraded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

it("decides the outcome of runs that ended before runs had one, when it opens the file", async () => {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-sqlite-outcome-"));
  const path = join(dir, "loadmgr.sqlite");
  try {
    const store = new SqliteStore(path);
    await store.init();
    const { test, revision } = makeLoadTest();
    await store.tests.create(test, revision, []);
    const runs = [
      makeRun(test, { status: "Finished", results: makeResults(100, 0) }),
      makeRun(test, { status: "Finished", results: makeResults(100, 100) }),
      makeRun(test, { status: "Finished", results: null }),
      makeRun(test, { status: "Running" }),
    ];
    for (const run of runs) await store.runs.create(run);
    await store.close();
    const upgraded = new SqliteStore(path);
    await upgraded.init();
    assert.deepEqual(await Promise.all(runs.map(async (r) => (await upgraded.runs.get(r.id))?.outcome)), [
      "passed",
      "no-success",
      null,
      null,
    ]);
    await upgraded.close();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
