import { after, before, describe, it } from "node:test";
import { poolsContract } from "./pools/pools.contract.js";
import { runsContract } from "./runs/runs.contract.js";
import { schedulesContract } from "./schedules/schedules.contract.js";
import { secretsContract } from "./secrets/secrets.contract.js";
import type { Store } from "./store.js";
import { testsContract } from "./tests/tests.contract.js";
import { webhooksContract } from "./webhooks/webhooks.contract.js";

/**
 * The behaviour every entity Store must have: each repository's contract, on one open store. Each
 * driver's test file calls this with a real database.
 */
export function storeContract(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`Entity store contract: ${name}`, () => {
    let store: Store;
    let close: () => Promise<void>;

    before(async () => {
      ({ store, close } = await open());
      await store.init();
      await store.init(); // idempotent
    });
    after(() => close());

    it("answers ping", async () => {
      await store.ping();
    });

    const get = (): Store => store;
    testsContract(get);
    runsContract(get);
    poolsContract(get);
    secretsContract(get);
    webhooksContract(get);
    schedulesContract(get);
  });
}
