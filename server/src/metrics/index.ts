import type { Config } from "../config.js";
import { sqliteFilePath } from "../db/sqliteFile.js";
import type { Logger } from "../logger.js";
import type { MetricsStore } from "./metricsStore.js";
import { MongoMetricsStore } from "./mongo/mongoMetrics.js";
import { SqliteMetricsStore } from "./sqlite/sqliteMetrics.js";

export type { MetricsStore } from "./metricsStore.js";

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
  return new SqliteMetricsStore(sqliteFilePath(config), {
    ...(options.readonly === true ? { readonly: true } : {}),
    onMergeFailure,
  });
}
