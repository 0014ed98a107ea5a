import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { MAX_SCHEDULE_TICKS, type Schedule, type ScheduleTick, type LoadTest } from "@loadmgr/shared";
import { newTestIn } from "../contractSupport.js";
import { type Store } from "../store.js";

/** What every schedule repository must do, on a store `get` answers once the contract's store is open. */
export function schedulesContract(get: () => Store): void {
  describe("Schedules", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    const newTest = (overrides: Partial<LoadTest> = {}): Promise<LoadTest> => newTestIn(store, overrides);

    it("keeps a test's schedules, changes them, keeps their newest ticks under concurrent ticks, and deletes them with the test", async () => {
      const test = await newTest();
      const schedule = (createdAt: number): Schedule => ({
        id: randomUUID(),
        loadTestId: test.id,
        accountId: test.accountId,
        orgId: test.orgId,
        projectId: test.projectId,
        cron: "0 2 * * *",
        timezone: "Europe/Berlin",
        enabled: true,
        overrides: { targetUsers: 5, env: { REGION: "eu" } },
        thresholds: [{ threshold: "p95<300", abortOnFail: true, windowSec: 30 }],
        nextRunAt: 5000,
        ticks: [],
        createdAt,
        createdBy: "alice",
        updatedAt: createdAt,
        updatedBy: "alice",
      });
      const [a, b] = [schedule(2), schedule(1)];
      assert.ok(a !== undefined && b !== undefined);
      await store.schedules.create(a);
      await store.schedules.create(b);
      assert.deepEqual(await store.schedules.get(a.id), a);
      assert.deepEqual(
        (await store.schedules.list(test.id)).map((x) => x.id),
        [b.id, a.id],
      );
      assert.ok((await store.schedules.list()).some((x) => x.id === a.id));
      const changed = await store.schedules.update(a.id, {
        enabled: false,
        nextRunAt: null,
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.deepEqual(changed, { ...a, enabled: false, nextRunAt: null, updatedAt: 9, updatedBy: "bob" });
      const ticks = Array.from({ length: MAX_SCHEDULE_TICKS + 5 }, (_, i) => ({
        at: 1000 + i,
        outcome: "skipped" as const,
        runId: null,
        reason: `tick ${i}`,
      }));
      await Promise.all(ticks.map((tick) => store.schedules.recordTick(b.id, tick, 7000)));
      const recorded = await store.schedules.get(b.id);
      assert.equal(recorded?.ticks.length, MAX_SCHEDULE_TICKS, "none lost to a race, the oldest dropped");
      assert.equal(recorded?.nextRunAt, 7000);
      assert.equal(await store.schedules.recordTick(randomUUID(), ticks[0] as ScheduleTick, null), undefined);
      assert.equal(await store.schedules.delete(a.id), true);
      assert.equal(await store.schedules.delete(a.id), false);
      await store.tests.delete(test.id);
      assert.deepEqual(await store.schedules.list(test.id), []);
    });
  });
}
