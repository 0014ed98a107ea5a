import { MongoServerError, type Collection, type Document, type IndexDescription } from "mongodb";

/**
 * Creates the indexes that are not there yet. Asking again for an existing index is legal in
 * MongoDB but crashes FerretDB 1.24's connection, so existing names are skipped.
 */
export async function ensureIndexes<T extends Document>(
  collection: Collection<T>,
  indexes: (IndexDescription & { name: string })[],
): Promise<void> {
  let existing: string[] = [];
  try {
    existing = (await collection.listIndexes().toArray()).map((i: { name?: unknown }) => String(i.name));
  } catch (error) {
    if (!(error instanceof MongoServerError && error.code === 26)) throw error; // 26: no such collection yet
  }
  const missing = indexes.filter((i) => !existing.includes(i.name));
  if (missing.length > 0) await collection.createIndexes(missing);
}

export const isDuplicateKey = (error: unknown): boolean => error instanceof MongoServerError && error.code === 11000;

/** The filter's entries that are set (a query must not match `field: undefined`). */
export function defined<T extends object>(filter: T): Document {
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined));
}
