import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type Store } from "../store.js";

/** What every pool repository must do, on a store `get` answers once the contract's store is open. */
export function poolsContract(get: () => Store): void {
  describe("Agent pools and agents", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    it("keeps agent pools and their agents, by scope; a token's hash can be replaced or cleared", async () => {
      const accountId = `acc-${randomUUID()}`;
      const pool = {
        id: randomUUID(),
        name: "eu",
        accountId,
        orgId: "org",
        projectId: "proj",
        envId: null,
        tokenHash: "h1",
        retiredTokenHash: null,
        tokenRotatedAt: 1,
        createdAt: 1,
        createdBy: "me",
      };
      await store.pools.create(pool);
      await store.pools.create({ ...pool, id: randomUUID(), name: "us", projectId: "other", createdAt: 2 });
      assert.deepEqual(await store.pools.get(pool.id), pool);
      assert.deepEqual(
        (await store.pools.list({ accountId })).map((p) => p.name),
        ["eu", "us"],
      );
      assert.deepEqual(
        (await store.pools.list({ accountId, orgId: "org", projectId: "proj" })).map((p) => p.name),
        ["eu"],
      );
      assert.equal((await store.pools.setToken(pool.id, null, 3))?.tokenHash, null);
      assert.equal((await store.pools.setToken(pool.id, "h2", 4))?.tokenRotatedAt, 4);
      const rotated = await store.pools.setToken(pool.id, "h3", 5, "h2");
      assert.deepEqual([rotated?.tokenHash, rotated?.retiredTokenHash], ["h3", "h2"]);
      assert.equal((await store.pools.setToken(pool.id, null, 6))?.retiredTokenHash, null);
      assert.equal(await store.pools.setToken("no-such-pool", "h", 5), undefined);

      const agent = {
        id: randomUUID(),
        poolId: pool.id,
        name: "gen-b",
        instanceId: "i1",
        capacity: 4,
        labels: { zone: "a" },
        version: "0.1.0",
        address: "10.0.0.2",
        inbound: false,
        connectedAt: 10,
        lastSeenAt: 10,
        waitMs: 25_000,
        runs: [],
      };
      await store.pools.saveAgent(agent);
      await store.pools.saveAgent({ ...agent, id: randomUUID(), name: "gen-a" });
      const report = { runId: "r1", role: "worker" as const, processes: 2, state: "running" as const };
      await store.pools.saveAgent({ ...agent, lastSeenAt: 20, runs: [report] });
      assert.deepEqual(await store.pools.getAgent(agent.id), { ...agent, lastSeenAt: 20, runs: [report] });
      assert.deepEqual(
        (await store.pools.listAgents([pool.id])).map((a) => a.name),
        ["gen-a", "gen-b"],
      );
      assert.deepEqual(await store.pools.listAgents([]), []);
      assert.equal((await store.pools.findAgent(pool.id, "gen-b"))?.id, agent.id);
      assert.equal(await store.pools.findAgent(pool.id, "gen-z"), undefined);
      assert.equal(await store.pools.findAgent("other-pool", "gen-b"), undefined);

      // An agent forgotten, then the pool with the rest of its agents.
      assert.equal(await store.pools.deleteAgent(agent.id), true);
      assert.equal(await store.pools.deleteAgent(agent.id), false);
      assert.deepEqual(
        (await store.pools.listAgents([pool.id])).map((a) => a.name),
        ["gen-a"],
      );
      assert.equal(await store.pools.delete(pool.id), true);
      assert.equal(await store.pools.get(pool.id), undefined);
      assert.deepEqual(await store.pools.listAgents([pool.id]), []);
      assert.equal(await store.pools.delete(pool.id), false);
    });
  });
}
