import { and, eq, lt, or, type SQL } from "drizzle-orm";
import type { BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { decodeCursor } from "../cursor.js";

/** The drizzle handle the SQLite repositories share (one connection, one file). */
export type SqliteDb = BetterSQLite3Database;

/** Rows after the cursor's one, newest first by createdAt, then id. */
export function afterCursor(
  table: { createdAt: SQLiteColumn; id: SQLiteColumn },
  cursor: string | undefined,
): SQL | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  return or(lt(table.createdAt, key.k), and(eq(table.createdAt, key.k), lt(table.id, key.id)));
}
