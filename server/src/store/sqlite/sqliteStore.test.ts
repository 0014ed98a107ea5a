import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
