/** Errors that say the store cannot be reached (not that a request was wrong): MongoDB's driver's, SQLite's. */
const UNAVAILABLE_NAMES = new Set([
  "MongoNetworkError",
  "MongoNetworkTimeoutError",
  "MongoServerSelectionError",
  "MongoNotConnectedError",
  "MongoTopologyClosedError",
  "MongoPoolClearedError",
]);
const UNAVAILABLE_SQLITE_CODES = /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|FULL|READONLY)/;

/** True when `error` (or what it wraps) means "the store is unreachable or unusable right now": a 503, retried later. */
export function isStoreUnavailable(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; typeof e === "object" && e !== null && depth < 5; depth++) {
    const { name, code } = e as { name?: unknown; code?: unknown };
    if (typeof name === "string" && UNAVAILABLE_NAMES.has(name)) return true;
    if (typeof code === "string" && UNAVAILABLE_SQLITE_CODES.test(code)) return true;
    e = (e as { cause?: unknown }).cause;
  }
  return false;
}
