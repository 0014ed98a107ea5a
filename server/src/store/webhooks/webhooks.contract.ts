import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type WebhookDelivery } from "@loadmgr/shared";
import { MAX_DELIVERY_LOG, type Store, type WebhookRecord } from "../store.js";

/** What every webhook repository must do, on a store `get` answers once the contract's store is open. */
export function webhooksContract(get: () => Store): void {
  describe("Webhooks and deliveries", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    it("keeps webhooks by scope, changes and deletes them, and keeps the newest of each one's delivery log", async () => {
      const accountId = `acc-${randomUUID()}`;
      const hook = (projectId: string, createdAt: number): WebhookRecord => ({
        id: randomUUID(),
        accountId,
        orgId: "org",
        projectId,
        envId: null,
        url: "https://hooks.example/x",
        events: ["run.finished", "threshold.breached"],
        format: "json",
        enabled: true,
        secretCiphertext: "sealed",
        createdAt,
        createdBy: "alice",
        updatedAt: createdAt,
        updatedBy: "alice",
      });
      const [a, b, c] = [hook("shop", 1), hook("shop", 2), hook("other", 3)];
      for (const h of [b, a, c]) if (h !== undefined) await store.webhooks.create(h);
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      assert.deepEqual(await store.webhooks.get(a.id), a);
      assert.deepEqual(
        (await store.webhooks.list({ accountId, orgId: "org", projectId: "shop" })).map((h) => h.id),
        [a.id, b.id],
      );
      const changed = await store.webhooks.update(a.id, {
        enabled: false,
        events: ["run.failed"],
        envId: "prod",
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.deepEqual(changed, {
        ...a,
        enabled: false,
        events: ["run.failed"],
        envId: "prod",
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.equal(await store.webhooks.update(randomUUID(), { updatedAt: 1, updatedBy: "x" }), undefined);

      const attempt = (n: number, webhookId = a.id): WebhookDelivery => ({
        id: randomUUID(),
        deliveryId: "d1",
        webhookId,
        event: "run.finished",
        runId: "run-1",
        attempt: 1,
        at: 1000 + n,
        statusCode: n % 2 === 0 ? 200 : null,
        error: n % 2 === 0 ? null : "connect ECONNREFUSED",
        durationMs: 3,
        nextAttemptAt: null,
      });
      const many = Array.from({ length: MAX_DELIVERY_LOG + 5 }, (_, n) => attempt(n));
      for (const d of many) await store.webhooks.addDelivery(d);
      await store.webhooks.addDelivery(attempt(0, b.id));
      const log = await store.webhooks.listDeliveries(a.id, MAX_DELIVERY_LOG + 50);
      assert.equal(log.length, MAX_DELIVERY_LOG);
      assert.deepEqual(log[0], many.at(-1));
      assert.deepEqual(log.at(-1), many[5]);
      assert.deepEqual(
        (await store.webhooks.listDeliveries(a.id, 2)).map((d) => d.at),
        [1000 + MAX_DELIVERY_LOG + 4, 1000 + MAX_DELIVERY_LOG + 3],
      );
      assert.equal(await store.webhooks.delete(a.id), true);
      assert.equal(await store.webhooks.delete(a.id), false);
      assert.equal(await store.webhooks.get(a.id), undefined);
      assert.deepEqual(await store.webhooks.listDeliveries(a.id, 10), []);
      assert.equal((await store.webhooks.listDeliveries(b.id, 10)).length, 1);
    });
  });
}
