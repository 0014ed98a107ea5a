import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import * as schema from "./schema.js";

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../../drizzle");

/**
 * A connection to the SQLite file that the entity store and the metrics store share (each opens its
 * own). `readonly`: for reads only, to a file a writer has made (the read worker's).
 */
export function openSqliteFile(path: string, options: { readonly?: boolean } = {}): Database.Database {
  if (options.readonly === true) {
    const sqlite = new Database(path, { readonly: true, fileMustExist: true });
    sqlite.pragma("busy_timeout = 5000");
    return sqlite;
  }
  if (path !== ":memory:") mkdirSync(dirname(resolve(path)), { recursive: true });
  const sqlite = new Database(path);
  // First, so that a second connection to the same file waits for the first instead of failing.
  sqlite.pragma("busy_timeout = 5000");
  // Snapshot rows are about 2 KB: 4 KB pages would hold one each, half empty. Only a new file takes it.
  sqlite.pragma("page_size = 16384");
  sqlite.pragma("journal_mode = WAL");
  sqlite.pragma("synchronous = NORMAL");
  return sqlite;
}

/** Brings the file's schema (one set of migrations for both stores' tables) up to date. Idempotent. */
export function migrateSqliteFile(sqlite: Database.Database): void {
  migrate(drizzle(sqlite, { schema }), { migrationsFolder: MIGRATIONS });
}

/** A value built on first use (prepared statements need the tables that init() creates). */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}
