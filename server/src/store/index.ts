import { join } from "node:path";
import type { Config } from "../config.js";
import { MongoStore } from "./mongo/mongoStore.js";
import { SqliteStore } from "./sqlite/sqliteStore.js";
import type { Store } from "./store.js";

export type { Store } from "./store.js";

/**
 * MongoDB when a URI is configured, otherwise the embedded SQLite file. `readonly`: a connection for
 * reads only, beside the server's own (SQLite opens the file read-only).
 */
export function createStore(config: Config, options: { readonly?: boolean } = {}): Store {
  if (config.mongodb.uri !== undefined) return new MongoStore(config.mongodb.uri, config.mongodb.database);
  return new SqliteStore(config.storage.sqlitePath ?? join(config.storage.dataDir, "loadmgr.sqlite"), options);
}
