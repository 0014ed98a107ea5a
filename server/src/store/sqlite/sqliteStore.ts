import type Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrateSqliteFile, openSqliteFile } from "../../db/sqliteFile.js";
import { SqlitePools } from "../pools/sqlitePools.js";
import { SqliteRuns } from "../runs/sqliteRuns.js";
import { SqliteSchedules } from "../schedules/sqliteSchedules.js";
import { SqliteSecrets } from "../secrets/sqliteSecrets.js";
import type { Store } from "../store.js";
import { SqliteTests } from "../tests/sqliteTests.js";
import { SqliteWebhooks } from "../webhooks/sqliteWebhooks.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

/**
 * The embedded entity store: one SQLite file through drizzle-orm, shared with the metrics store (its
 * own connection), and the repositories on one connection to it. Every write is one synchronous
 * transaction.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly sqlite: Database.Database;
  readonly tests: SqliteTests;
  readonly runs: SqliteRuns;
  readonly pools: SqlitePools;
  readonly secrets: SqliteSecrets;
  readonly webhooks: SqliteWebhooks;
  readonly schedules: SqliteSchedules;

  constructor(path: string) {
    this.sqlite = openSqliteFile(path);
    const db = drizzle(this.sqlite);
    this.tests = new SqliteTests(db);
    this.runs = new SqliteRuns(db, this.sqlite);
    this.pools = new SqlitePools(db);
    this.secrets = new SqliteSecrets(db);
    this.webhooks = new SqliteWebhooks(db);
    this.schedules = new SqliteSchedules(db);
  }

  async init(): Promise<void> {
    migrateSqliteFile(this.sqlite);
    this.runs.upgrade();
    this.tests.upgrade();
  }

  async close(): Promise<void> {
    if (this.sqlite.open) this.sqlite.close();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare("select 1").get();
  }
}
