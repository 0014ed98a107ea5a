import type { Page } from "@loadmgr/shared";
import { AppError } from "../errors.js";

/** Position after the last item of a page: the sort key of that item. */
export interface CursorKey {
  k: number;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify([key.k, key.id])).toString("base64url");
}

export function decodeCursor(cursor: string): CursorKey {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf-8"));
    if (Array.isArray(value) && typeof value[0] === "number" && typeof value[1] === "string") {
      return { k: value[0], id: value[1] };
    }
  } catch {
    // fall through to the error below
  }
  throw new AppError("INVALID_INPUT", "cursor is not one this server issued", "cursor");
}

export function checkPaging(page: { cursor?: string | undefined; offset?: number | undefined }): void {
  if (page.cursor !== undefined && page.offset !== undefined) {
    throw new AppError("INVALID_INPUT", "give either cursor or offset, not both", "offset");
  }
}

/** The first `limit` rows (the query asked for one more) and, when there are more, the cursor after them. */
export function toPage<T>(rows: T[], limit: number, keyOf: (row: T) => CursorKey): Page<T> {
  if (rows.length <= limit) return { items: rows };
  const items = rows.slice(0, limit);
  return { items, nextCursor: encodeCursor(keyOf(items.at(-1) as T)) };
}
