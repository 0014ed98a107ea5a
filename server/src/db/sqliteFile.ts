import { mkdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import Database from "better-sqlite3";
import { drizzle } from "drizzle-orm/better-sqlite3";
import { migrate } from "drizzle-orm/better-sqlite3/migrator";
import type { Config } from "../config.js";

const MIGRATIONS = resolve(dirname(fileURLToPath(import.meta.url)), "../../drizzle");

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

/** Tries at migrating one file before giving up: each loses only to another process migrating it. */
const MIGRATE_TRIES = 5;

/**
 * Brings the file's schema (one set of migrations for both stores' tables) up to date. Idempotent,
 * also when several processes start on one new file at once: drizzle reads which migrations are done
 * before it takes the write lock, so two processes may both set out to apply the same one, and the
 * later fails ("table … already exists") once the earlier has committed. Its transaction was rolled
 * back, so it reads again and, finding them done, applies nothing.
 */
export function migrateSqliteFile(sqlite: Database.Database): void {
  for (let attempt = 1; ; attempt++) {
    try {
      migrate(drizzle(sqlite), { migrationsFolder: MIGRATIONS });
      return;
    } catch (error) {
      const text = `${String(error)} ${String((error as { cause?: unknown }).cause)}`;
      if (attempt >= MIGRATE_TRIES || !/already exists|duplicate column/i.test(text)) throw error;
      // Let the other process finish (busy_timeout makes the next read wait for its commit).
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50 * attempt);
    }
  }
}

/** A value built on first use (prepared statements need the tables that init() creates). */
export function lazy<T>(build: () => T): () => T {
  let value: T | undefined;
  return () => (value ??= build());
}

/** The SQLite file of the configuration: `storage.sqlitePath`, or loadmgr.sqlite in the data directory. */
export const sqliteFilePath = (config: Config): string =>
  config.storage.sqlitePath ?? join(config.storage.dataDir, "loadmgr.sqlite");
