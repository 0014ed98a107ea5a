import { TRPCClientError } from "@trpc/client";
import { createLoadManagerClient, type LoadManagerClient } from "../../client/src/index.js";
import { apiErrorData } from "../../shared/src/errors.js";

const TOKEN_KEY = "loadmgr.token";
const SCOPE_KEY = "loadmgr.scope";

/** Where the lists look: empty fields mean "any". */
export interface Scope {
  accountId: string;
  orgId: string;
  projectId: string;
  envId: string;
}

export const EMPTY_SCOPE: Scope = { accountId: "", orgId: "", projectId: "", envId: "" };

export const savedToken = (): string | null => localStorage.getItem(TOKEN_KEY);
export const saveToken = (token: string): void => localStorage.setItem(TOKEN_KEY, token);
export const forgetToken = (): void => localStorage.removeItem(TOKEN_KEY);

export function savedScope(): Scope {
  try {
    return { ...EMPTY_SCOPE, ...(JSON.parse(localStorage.getItem(SCOPE_KEY) ?? "{}") as Partial<Scope>) };
  } catch {
    return EMPTY_SCOPE;
  }
}
export const saveScope = (scope: Scope): void => localStorage.setItem(SCOPE_KEY, JSON.stringify(scope));

/** The scope as list filters: only the fields that are set. */
export function scopeFilter(scope: Scope): Partial<Scope> {
  return Object.fromEntries(Object.entries(scope).filter(([, value]) => value !== ""));
}

/** The typed client on this page's own server: HTTP for queries, a WebSocket for subscriptions. */
export const clientFor = (token: string): LoadManagerClient => createLoadManagerClient({ url: location.origin, token });

/** What the API said went wrong: its stable code, the message, and per field what is wrong. */
export interface Problem {
  code: string;
  message: string;
  /** By the input's top-level field: an issue with `thresholds.2` or `tags.0` is the box's, `thresholds`. */
  fields: Record<string, string>;
  /** Every issue by its whole path (`overrides.targetUsers`), for a form of a nested object. */
  paths: Record<string, string>;
}

/** The part of a problem about one nested object (`overrides`), by that object's own fields. */
export function nestedProblem(problem: Problem | null, under: string): Problem | null {
  if (problem === null) return null;
  const fields: Record<string, string> = {};
  for (const [path, message] of Object.entries(problem.paths)) {
    if (path.startsWith(`${under}.`)) fields[topField(path.slice(under.length + 1))] ??= message;
  }
  return { ...problem, fields, paths: {} };
}

const topField = (path: string): string => path.split(".")[0] ?? path;

/** An issue's message as its box shows it: named after the part of the box it is about (`latencyPercent: …`). */
const fieldMessage = (path: string, message: string): string => {
  const part = path
    .split(".")
    .slice(1)
    .filter((segment) => !/^\d+$/.test(segment))
    .join(".");
  return part === "" ? message : `${part}: ${message}`;
};

/** Whether a form shows the problem next to one of its fields; if not, it must say it elsewhere. */
export const shownAtField = (problem: Problem, fields: readonly string[]): boolean =>
  Object.keys(problem.fields).some((field) => fields.includes(field));

export function problemOf(error: unknown): Problem {
  if (error instanceof TRPCClientError) {
    const data = apiErrorData((error as TRPCClientError<never>).data);
    if (data === undefined) {
      return { code: "UNREACHABLE", message: "The server cannot be reached. Is it running?", fields: {}, paths: {} };
    }
    const fields: Record<string, string> = {};
    const paths: Record<string, string> = {};
    for (const issue of data.issues ?? []) {
      fields[topField(issue.path)] ??= fieldMessage(issue.path, issue.message);
      paths[issue.path] ??= issue.message;
    }
    if (data.field !== undefined) {
      fields[topField(data.field)] ??= error.message;
      paths[data.field] ??= error.message;
    }
    return { code: data.appCode, message: error.message, fields, paths };
  }
  return { code: "ERROR", message: error instanceof Error ? error.message : String(error), fields: {}, paths: {} };
}

/** The line a SCRIPT_SYNTAX_ERROR names ("locustfile.py, line 3, column 9: …"), to mark in the editor. */
export function syntaxErrorLine(problem: Problem | null): number | null {
  if (problem?.code !== "SCRIPT_SYNTAX_ERROR") return null;
  const line = /, line (\d+)/.exec(problem.message)?.[1];
  return line === undefined ? null : Number(line);
}
