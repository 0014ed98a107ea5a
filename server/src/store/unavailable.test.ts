import assert from "node:assert/strict";
import { it } from "node:test";
import { MongoNetworkError, MongoServerSelectionError, MongoServerError } from "mongodb";
import { isStoreUnavailable } from "./unavailable.js";

it("tells a store that cannot be reached from a request the store refused", () => {
  assert.equal(isStoreUnavailable(new MongoNetworkError("connection reset")), true);
  assert.equal(isStoreUnavailable(new Error("wrapped", { cause: new MongoNetworkError("reset") })), true);
  assert.equal(isStoreUnavailable(Object.assign(new Error("database is locked"), { code: "SQLITE_BUSY" })), true);
  assert.equal(isStoreUnavailable(new MongoServerError({ message: "duplicate key", code: 11000 })), false);
  assert.equal(isStoreUnavailable(Object.assign(new Error("constraint"), { code: "SQLITE_CONSTRAINT" })), false);
  assert.equal(isStoreUnavailable(new Error("plain")), false);
  assert.equal(isStoreUnavailable(undefined), false);
  assert.ok(MongoServerSelectionError.name === "MongoServerSelectionError");
});
