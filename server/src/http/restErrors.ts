import type { ServerResponse } from "node:http";
import type { ApiErrorBody, ErrorCode } from "@loadmgr/shared";
import { issueMessage, type ErrorIssue } from "../errors.js";

interface ShapedError {
  message?: string;
  code?: string;
  data?: { appCode?: ErrorCode; field?: string; issues?: ErrorIssue[] };
}

/** Rewrites the OpenAPI layer's error body into the API's error form: `{ code, message, field?, issues? }`. */
export function toApiErrorBody(raw: ShapedError): ApiErrorBody {
  const data = raw.data ?? {};
  const first = data.issues?.[0];
  // The OpenAPI layer replaces the message of input errors with a generic one; rebuild it from the issues.
  const message = first ? issueMessage(first) : (raw.message ?? "error");
  return {
    code: data.appCode ?? "INTERNAL",
    message,
    ...(data.field !== undefined ? { field: data.field } : {}),
    ...(data.issues !== undefined ? { issues: data.issues } : {}),
  };
}

/**
 * trpc-to-openapi writes its own error body in one `res.end(JSON)` call; this wraps that one
 * response so error bodies leave in the API's form. Success bodies pass through untouched.
 */
export function rewriteRestErrors(res: ServerResponse): void {
  const end = res.end.bind(res) as (chunk?: unknown) => ServerResponse;
  res.end = ((chunk?: unknown) => {
    if (res.statusCode >= 400 && typeof chunk === "string") {
      try {
        return end(JSON.stringify(toApiErrorBody(JSON.parse(chunk) as ShapedError)));
      } catch {
        return end(chunk);
      }
    }
    return end(chunk);
  }) as ServerResponse["end"];
}
