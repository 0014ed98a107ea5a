import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { DEFAULT_REGRESSION_RULE } from "@loadmgr/shared";
import { startMongoWireServer } from "../../../../test/helpers/ferretdb.js";
import { makeLoadTest, makeResults, makeRun } from "../../../../test/helpers/fixtures.js";
import { storeContract } from "../store.contract.js";
import { MongoStore } from "./mongoStore.js";

storeContract(
  process.env.MONGODB_URI ? "MongoDB (MONGODB_URI)" : "MongoDB wire protocol (FerretDB 1.24, SQLite)",
  async () => {
    const server = await startMongoWireServer();
    const store = new MongoStore(server.uri, `loadmgr_test_${randomUUID().slice(0, 8)}`);
    return {
      store,
      close: async () => {
        await store.close();
        await server.stop();
      },
    };
  },
);

describe("MongoDB store upgrade", () => {
  it("gives runs stored before thresholds existed none, and no verdict", async () => {
    const server = await startMongoWireServer();
    const database = `loadmgr_test_${randomUUID().slice(0, 8)}`;
    const raw = new MongoClient(server.uri);
    try {
      const { test, revision } = makeLoadTest();
      const { thresholds: _t, verdict: _v, ...legacy } = makeRun(test);
      await raw
        .db(database)
        .collection("load_test_runs")
        .insertOne({ _id: legacy.id as never, ...legacy });
      const store = new MongoStore(server.uri, database);
      await store.init();
      await store.tests.create(test, revision, []);
      assert.deepEqual(await store.runs.get(legacy.id), { ...legacy, thresholds: [], verdict: null });
      await store.close();
    } finally {
      await raw.close();
      await server.stop();
    }
  });

  it("decides the outcome of runs that ended before runs had one", async () => {
    const server = await startMongoWireServer();
    const database = `loadmgr_test_${randomUUID().slice(0, 8)}`;
    const raw = new MongoClient(server.uri);
    try {
      const { test } = makeLoadTest();
      const runs = [
        makeRun(test, { status: "Finished", results: makeResults(100, 0) }),
        makeRun(test, { status: "Stopped", results: makeResults(10, 10) }),
        makeRun(test, { status: "Finished", results: null }),
        makeRun(test, { status: "Running" }),
      ];
      for (const { outcome: _o, ...legacy } of runs) {
        await raw
          .db(database)
          .collection("load_test_runs")
          .insertOne({ _id: legacy.id as never, ...legacy });
      }
      const store = new MongoStore(server.uri, database);
      await store.init();
      assert.deepEqual(await Promise.all(runs.map(async (r) => (await store.runs.get(r.id))?.outcome)), [
        "passed",
        "no-success",
        null,
        null,
      ]);
      await store.close();
    } finally {
      await raw.close();
      await server.stop();
    }
  });

  it("numbers runs stored before runs had numbers, and gives old tests and runs the new fields", async () => {
    const server = await startMongoWireServer();
    const database = `loadmgr_test_${randomUUID().slice(0, 8)}`;
    const raw = new MongoClient(server.uri);
    try {
      const { test, revision: newRevision } = makeLoadTest({ tags: ["nightly"], targetUrl: "http://127.0.0.1:9123" });
      const {
        runCount: _c,
        thresholds: _th,
        autoStop: _a,
        agentPool: _p,
        defaultWorkers: _w,
        env: _env,
        secrets: _sec,
        defaultStages: _ds,
        failOnRegression: _fr,
        regressionRule: _rr,
        allowedHosts: _ah,
        ...oldTest
      } = test;
      const { files: _f, ...revision } = newRevision;
      const runs = [0, 1, 2].map((i) => makeRun(test, { createdAt: test.createdAt + i, name: `run ${i}` }));
      const oldVerdict = { passed: true, checkedAt: 5, checks: [{ threshold: "p95<300", measured: 12, passed: true }] };
      const db = raw.db(database);
      await db.collection("script_revisions").insertOne({ _id: revision.id as never, ...revision });
      await db.collection("load_tests").insertOne({
        _id: test.id as never,
        ...oldTest,
        recentRuns: runs.map((r) => ({ id: r.id, name: r.name, status: r.status, createdAt: r.createdAt })).reverse(),
      });
      for (const run of runs) {
        const {
          number: _n,
          results: _r,
          autoStop: _s,
          agentPool: _p,
          workers: _w,
          minWorkers: _m,
          labels: _l,
          placement: _pl,
          masterEndpoint: _e,
          waitingReason: _wr,
          warnings: _wa,
          targetUrl: _tu,
          tags: _tg,
          env: _en,
          secrets: _se,
          stages: _st,
          shapeNote: _sn,
          durationSec: _dsec,
          baseline: _b,
          trigger: _t,
          ...old
        } = run;
        const verdict = run === runs[1] ? oldVerdict : null;
        await db.collection("load_test_runs").insertOne({ _id: run.id as never, ...old, verdict });
      }
      const store = new MongoStore(server.uri, database);
      await store.init();
      const stored = await store.tests.get(test.id);
      assert.equal(stored?.runCount, 3);
      assert.deepEqual(stored?.thresholds, []);
      assert.deepEqual(stored?.autoStop, { errorRatePercent: 90, windowSec: 60, windowSeconds: 60 });
      const upgradedRuns = await Promise.all(runs.map((r) => store.runs.get(r.id)));
      assert.deepEqual(
        upgradedRuns.map((r) => [r?.durationSec, r?.durationSeconds]),
        runs.map((r) => [r.durationSeconds, r.durationSeconds]),
      );
      assert.ok(stored?.recentRuns.every((r) => r.durationSec === r.durationSeconds && r.durationSec > 0));
      assert.deepEqual(stored?.allowedHosts, []);
      assert.deepEqual(
        stored?.recentRuns.map((r) => [r.name, r.number, r.results, r.passed]),
        [
          ["run 2", 3, null, null],
          ["run 1", 2, null, true],
          ["run 0", 1, null, null],
        ],
      );
      const upgraded = await store.runs.get(runs[0]?.id ?? "");
      assert.deepEqual([upgraded?.number, upgraded?.results, upgraded?.autoStop], [1, null, null]);
      assert.deepEqual(
        [upgraded?.agentPool, upgraded?.labels, upgraded?.placement, upgraded?.warnings, upgraded?.workers],
        [null, {}, [], [], null],
      );
      assert.deepEqual([stored?.agentPool, stored?.defaultWorkers], [null, null]);
      assert.deepEqual(
        [upgraded?.targetUrl, upgraded?.tags, upgraded?.env, upgraded?.secrets, upgraded?.stages, upgraded?.shapeNote],
        ["http://127.0.0.1:9123", ["nightly"], {}, [], null, null],
      );
      assert.deepEqual([stored?.env, stored?.secrets, stored?.defaultStages], [{}, [], null]);
      assert.deepEqual((await store.tests.getRevision(test.id, revision.id))?.files, []);
      assert.deepEqual(
        [upgraded?.baseline, upgraded?.trigger, upgraded?.verdict],
        [false, { type: "api", scheduleId: null }, null],
      );
      assert.deepEqual((await store.runs.get(runs[1]?.id ?? ""))?.verdict, {
        ...oldVerdict,
        aborted: false,
        abortedBy: null,
        baselineRunId: null,
        regressions: [],
      });
      assert.deepEqual([stored?.failOnRegression, stored?.regressionRule], [false, DEFAULT_REGRESSION_RULE]);
      assert.equal((await store.runs.create(makeRun(test)))?.number, 4);
      await store.close();
    } finally {
      await raw.close();
      await server.stop();
    }
  });
});
