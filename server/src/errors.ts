import { TRPCError } from "@trpc/server";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server/rpc";
import { ERROR_CODES, type ErrorCode } from "@loadmgr/shared";

const TRPC_CODE_BY_STATUS: Record<number, TRPC_ERROR_CODE_KEY> = {
  400: "BAD_REQUEST",
  401: "UNAUTHORIZED",
  403: "FORBIDDEN",
  404: "NOT_FOUND",
  409: "CONFLICT",
  413: "PAYLOAD_TOO_LARGE",
  429: "TOO_MANY_REQUESTS",
  500: "INTERNAL_SERVER_ERROR",
  503: "SERVICE_UNAVAILABLE",
};

/** A domain error with a stable code and, where there is one, the offending input field. */
export class AppError extends TRPCError {
  constructor(
    readonly appCode: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super({ code: TRPC_CODE_BY_STATUS[ERROR_CODES[appCode]] ?? "INTERNAL_SERVER_ERROR", message });
  }
}

export interface ErrorIssue {
  path: string;
  message: string;
  code?: ErrorCode;
}

interface IssueLike {
  path: PropertyKey[];
  message: string;
  params?: { code?: unknown };
}

function isIssueList(value: unknown): value is IssueLike[] {
  return Array.isArray(value) && value.every((i) => typeof i === "object" && i !== null && "path" in i);
}

const APP_CODE_BY_TRPC: Partial<Record<TRPC_ERROR_CODE_KEY, ErrorCode>> = {
  BAD_REQUEST: "INVALID_INPUT",
  UNAUTHORIZED: "UNAUTHORIZED",
  NOT_FOUND: "NOT_FOUND",
  PAYLOAD_TOO_LARGE: "PAYLOAD_TOO_LARGE",
  UNSUPPORTED_MEDIA_TYPE: "UNSUPPORTED_MEDIA_TYPE",
  METHOD_NOT_SUPPORTED: "METHOD_NOT_ALLOWED",
};

/** What every error tells a client: the stable code, a message, the field and (for bad input) all issues. */
export interface ErrorDetails {
  appCode: ErrorCode;
  message: string;
  field?: string;
  issues?: ErrorIssue[];
}

/** How one input issue reads in a message: `field: what is wrong`. */
export function issueMessage(issue: Pick<ErrorIssue, "path" | "message">): string {
  return issue.path ? `${issue.path}: ${issue.message}` : issue.message;
}

export function describeError(error: TRPCError): ErrorDetails {
  if (error instanceof AppError) {
    return { appCode: error.appCode, message: error.message, ...(error.field ? { field: error.field } : {}) };
  }
  const cause: unknown = error.cause;
  const rawIssues = typeof cause === "object" && cause !== null && "issues" in cause ? cause.issues : undefined;
  if (isIssueList(rawIssues) && rawIssues.length > 0) {
    const issues: ErrorIssue[] = rawIssues.map((i) => {
      const code = typeof i.params?.code === "string" ? (i.params.code as ErrorCode) : undefined;
      return { path: i.path.map(String).join("."), message: i.message, ...(code ? { code } : {}) };
    });
    const first = issues[0] as ErrorIssue;
    return {
      appCode: first.code ?? "INVALID_INPUT",
      message: issueMessage(first),
      ...(first.path ? { field: first.path } : {}),
      issues,
    };
  }
  return {
    appCode: APP_CODE_BY_TRPC[error.code] ?? (error.code === "INTERNAL_SERVER_ERROR" ? "INTERNAL" : "INVALID_INPUT"),
    message: error.code === "INTERNAL_SERVER_ERROR" ? "internal error" : error.message,
  };
}

export const notFound = (
  what: "LOAD_TEST" | "RUN" | "REVISION" | "AGENT_POOL" | "AGENT" | "FILE" | "WEBHOOK" | "SCHEDULE",
  id: string,
  field = "id",
): AppError => new AppError(`${what}_NOT_FOUND`, `${what.toLowerCase().replaceAll("_", " ")} ${id} not found`, field);
