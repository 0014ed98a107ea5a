import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type Store } from "../store.js";

/** What every secret repository must do, on a store `get` answers once the contract's store is open. */
export function secretsContract(get: () => Store): void {
  describe("Secrets", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    it("stores secrets per scope and name, lists an env's with the project's, never mixes projects", async () => {
      const scope = { accountId: `acc-${randomUUID()}`, orgId: "o", projectId: "p" };
      const base = { createdAt: 1, createdBy: "ann", updatedAt: 1, updatedBy: "ann" };
      assert.equal(await store.secrets.put({ ...scope, ...base, name: "KEY", envId: null, ciphertext: "c1" }), true);
      assert.equal(await store.secrets.put({ ...scope, ...base, name: "KEY", envId: "prod", ciphertext: "c2" }), true);
      assert.equal(await store.secrets.put({ ...scope, ...base, name: "OTHER", envId: "dev", ciphertext: "c3" }), true);
      await store.secrets.put({ ...scope, projectId: "p2", ...base, name: "KEY", envId: null, ciphertext: "c4" });
      // A replace keeps who created it and when.
      assert.equal(
        await store.secrets.put({
          ...scope,
          ...base,
          name: "KEY",
          envId: null,
          ciphertext: "c5",
          updatedAt: 9,
          updatedBy: "bob",
        }),
        false,
      );
      const all = await store.secrets.list(scope);
      assert.deepEqual(
        all.map((s) => [s.name, s.envId, s.ciphertext]),
        [
          ["KEY", null, "c5"],
          ["KEY", "prod", "c2"],
          ["OTHER", "dev", "c3"],
        ],
      );
      assert.deepEqual(
        all.map((s) => [s.createdBy, s.updatedBy]),
        [
          ["ann", "bob"],
          ["ann", "ann"],
          ["ann", "ann"],
        ],
      );
      assert.deepEqual(
        (await store.secrets.list(scope, "prod")).map((s) => [s.name, s.envId]),
        [
          ["KEY", null],
          ["KEY", "prod"],
        ],
      );
      assert.deepEqual(
        (await store.secrets.list(scope, null)).map((s) => s.envId),
        [null],
      );
      assert.equal(await store.secrets.delete(scope, "prod", "KEY"), true);
      assert.equal(await store.secrets.delete(scope, "prod", "KEY"), false);
      assert.deepEqual(
        (await store.secrets.list(scope)).map((s) => s.ciphertext),
        ["c5", "c3"],
      );
    });
  });
}
