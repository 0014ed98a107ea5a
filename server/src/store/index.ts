import type { Config } from "../config.js";
import { sqliteFilePath } from "../db/sqliteFile.js";
import { MongoStore } from "./mongo/mongoStore.js";
import { SqliteStore } from "./sqlite/sqliteStore.js";
import type { Store } from "./store.js";

export type { Store } from "./store.js";

/** The entity store: MongoDB when a URI is configured, otherwise the embedded SQLite file. */
export function createStore(config: Config): Store {
  if (config.mongodb.uri !== undefined) return new MongoStore(config.mongodb.uri, config.mongodb.database);
  return new SqliteStore(sqliteFilePath(config));
}
