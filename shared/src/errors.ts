/**
 * Stable error codes that every API error carries in `code`. Clients branch on these; the HTTP
 * status says the class (400, 401, 403, 404, 405, 409, 413, 415, 429, 503), the code says exactly what went wrong.
 */
export const ERROR_CODES = {
  INVALID_INPUT: 400,
  SCRIPT_NOT_BASE64: 400,
  SCRIPT_EMPTY: 400,
  SCRIPT_NOT_UTF8: 400,
  SCRIPT_TOO_LARGE: 400,
  SCRIPT_SYNTAX_ERROR: 400,
  DURATION_ABOVE_MAX: 400,
  WINDOW_TOO_LARGE: 400,
  TIMESTAMP_OUT_OF_RANGE: 400,
  CLUSTERS_RETIRED: 400,
  UNKNOWN_AGENT_POOL: 400,
  AGENT_POOL_OUT_OF_SCOPE: 400,
  TARGET_NOT_ALLOWED: 400,
  INVALID_FILE_PATH: 400,
  DUPLICATE_FILE_PATH: 400,
  FILE_NOT_BASE64: 400,
  REVISION_TOO_LARGE: 400,
  INVALID_ENV_NAME: 400,
  SECRET_NOT_FOUND: 400,
  STAGES_CONFLICT: 400,
  WEBHOOK_TARGET_NOT_ALLOWED: 400,
  INVALID_CRON: 400,
  UNAUTHORIZED: 401,
  READ_ONLY_TOKEN: 403,
  OUT_OF_SCOPE: 403,
  ACTOR_NOT_ALLOWED: 403,
  LOAD_TEST_NOT_FOUND: 404,
  REVISION_NOT_FOUND: 404,
  RUN_NOT_FOUND: 404,
  AGENT_POOL_NOT_FOUND: 404,
  AGENT_NOT_FOUND: 404,
  FILE_NOT_FOUND: 404,
  WEBHOOK_NOT_FOUND: 404,
  SCHEDULE_NOT_FOUND: 404,
  AGENT_PACKAGE_MISSING: 404,
  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  INVALID_TRANSITION: 409,
  RUN_FINISHED: 409,
  RUN_NOT_FINISHED: 409,
  RUN_NOT_RUNNING: 409,
  RUN_FOLLOWS_STAGES: 409,
  LOAD_TEST_HAS_ACTIVE_RUNS: 409,
  AGENT_NAME_TAKEN: 409,
  AGENT_CLOCK_SKEW: 409,
  AGENT_POOL_IN_USE: 409,
  AGENT_CONNECTED: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  SUBSCRIBER_TOO_SLOW: 429,
  TOO_MANY_HEAVY_QUERIES: 429,
  TOO_MANY_SUBSCRIPTIONS: 429,
  TOO_MANY_RELAY_STREAMS: 429,
  INTERNAL: 500,
  SANDBOX_UNAVAILABLE: 503,
  STORE_UNAVAILABLE: 503,
  RELAY_MASTER_ABSENT: 503,
  RELAY_TIMEOUT: 503,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** The JSON body of every REST error response. */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  field?: string;
  issues?: { path: string; message: string; code?: ErrorCode }[];
}

/** What this API puts in a tRPC error's `data` (TRPCClientError#data): the facts of ApiErrorBody. */
export interface ApiErrorData {
  appCode: ErrorCode;
  field?: string;
  issues?: ApiErrorBody["issues"];
}

/** The API's error facts from a tRPC error's `data`; undefined when the error did not come from this API (no answer). */
export function apiErrorData(data: unknown): ApiErrorData | undefined {
  if (typeof data !== "object" || data === null || !("appCode" in data) || typeof data.appCode !== "string") {
    return undefined;
  }
  return data as ApiErrorData;
}
