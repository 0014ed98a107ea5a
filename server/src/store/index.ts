import { join } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import { MongoMetricsStore } from "../metrics/mongo/mongoMetrics.js";
import { SqliteMetricsStore } from "../metrics/sqlite/sqliteMetrics.js";
import { MongoStore } from "./mongo/mongoStore.js";
import { SqliteStore } from "./sqlite/sqliteStore.js";
import type { Store } from "./store.js";

export type { Store } from "./store.js";

const sqlitePath = (config: Config): string =>
  config.storage.sqlitePath ?? join(config.storage.dataDir, "loadmgr.sqlite");

/** The entity store: MongoDB when a URI is configured, otherwise the embedded SQLite file. */
export function createStore(config: Config): Store {
  if (config.mongodb.uri !== undefined) return new MongoStore(config.mongodb.uri, config.mongodb.database);
  return new SqliteStore(sqlitePath(config));
}

/**
 * The metrics store, in the same database as the entity store (its own connection). `readonly`: a
 * connection for reads only, beside the server's own (the read worker's).
 */
export function createMetricsStore(
  config: Config,
  options: { readonly?: boolean; logger?: Logger } = {},
): MetricsStore {
  const onMergeFailure = (runId: string, failure: string): void =>
    options.logger?.error(
      { runId, failure },
      "merging a run's snapshots failed; reads merge them, the next batch retries",
    );
  if (config.mongodb.uri !== undefined)
    return new MongoMetricsStore(
      config.mongodb.uri,
      config.mongodb.database,
      onMergeFailure,
      options.readonly === true,
    );
  return new SqliteMetricsStore(sqlitePath(config), {
    ...(options.readonly === true ? { readonly: true } : {}),
    onMergeFailure,
  });
}
