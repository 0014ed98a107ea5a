import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { describe, it } from "node:test";
import { MongoClient } from "mongodb";
import { startMongoWireServer } from "../../../../test/helpers/ferretdb.js";
import { makeLoadTest, makeRun } from "../../../../test/helpers/fixtures.js";
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
      await store.createLoadTest(test, revision);
      assert.deepEqual(await store.getRun(legacy.id), { ...legacy, thresholds: [], verdict: null });
      await store.close();
    } finally {
      await raw.close();
      await server.stop();
    }
  });
});
