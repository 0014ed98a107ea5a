import type { ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { MAX_TIMESERIES_PAGE, requestStatsRowSchema, timeseriesPointSchema, type ApiErrorBody } from "@loadmgr/shared";
import type { Context } from "../context.js";
import { describeError } from "../errors.js";
import { appRouter } from "../routers/index.js";
import { createCallerFactory } from "../trpc.js";

export const createCaller = createCallerFactory(appRouter);

/** The CSV forms of two JSON endpoints: the same procedures, the same numbers, one row per item (columns named as in JSON). */
const EXPORTS = /^\/v1\/runs\/([^/]+)\/(requests|metrics\/timeseries)\.csv$/;

/**
 * One cell. Text that a spreadsheet would read as a formula (it begins with = + - @, a tab or a
 * carriage return; endpoint names come from scripts) is prefixed with ' as OWASP recommends.
 */
export function csvCell(value: string | number | boolean | null | undefined): string {
  let text = value === null || value === undefined ? "" : String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n']/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

const csvLines = (rows: Record<string, string | number | boolean | null>[], columns: string[]): string =>
  rows.map((row) => `${columns.map((column) => csvCell(row[column])).join(",")}\r\n`).join("");

export const toCsv = (rows: Record<string, string | number | boolean | null>[], columns: string[]): string =>
  `${columns.join(",")}\r\n${csvLines(rows, columns)}`;

/**
 * Until the client has taken what was written, or gone: a client that stops reading and hangs up
 * must not leave the export (and its heavy-query slot) waiting for a drain that never comes.
 */
function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}

export function sendError(res: ServerResponse, status: number, body: ApiErrorBody): void {
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** A procedure's error as the REST API answers it: the status and {code, message, field}. */
export function sendProcedureError(res: ServerResponse, error: TRPCError): void {
  const { appCode, message, field } = describeError(error);
  sendError(res, getHTTPStatusCodeFromError(error), {
    code: appCode,
    message,
    ...(field !== undefined ? { field } : {}),
  });
}

/** The id in a path's first group, %-decoded; undefined (and a 400 sent) when it is not a valid escape. */
export function pathId(res: ServerResponse, raw: string): string | undefined {
  try {
    return decodeURIComponent(raw);
  } catch {
    sendError(res, 400, {
      code: "INVALID_INPUT",
      message: "the run id in the path is not a valid %-escape",
      field: "id",
    });
    return undefined;
  }
}

/** Serves `GET /v1/runs/{id}/requests.csv` and `/metrics/timeseries.csv`; false when `path` is neither. */
export async function serveCsvExport(path: string, query: URLSearchParams, ctx: Context, res: ServerResponse) {
  const match = EXPORTS.exec(path);
  if (match === null) return false;
  const id = pathId(res, match[1] ?? "");
  if (id === undefined) return true;
  const headers = {
    "content-type": "text/csv; charset=utf-8",
    "content-disposition": `attachment; filename="run-${id.replace(/[^\w.-]/g, "_")}-${match[2]?.replace("/", "-") ?? ""}.csv"`,
    "cache-control": "no-store",
  };
  try {
    if (match[2] === "requests") {
      const stats = await createCaller(ctx).analytics.requests({ id });
      const csv = toCsv([...stats.endpoints, stats.total], Object.keys(requestStatsRowSchema.shape));
      res.writeHead(200, headers);
      res.end(csv);
      return true;
    }
    const input: Record<string, string> = {};
    for (const key of ["from", "to", "name"]) {
      const values = query.getAll(key);
      if (values.length > 1) {
        sendError(res, 400, { code: "INVALID_INPUT", message: `${key}: give it once`, field: key });
        return true;
      }
      if (values[0] !== undefined) input[key] = values[0];
    }
    // The whole window, written a page of the time series at a time: memory stays bounded, the
    // event loop is served between pages, and the export holds one heavy-query slot throughout.
    const exportAll = async (): Promise<void> => {
      const caller = createCaller({ ...ctx, heavySlotHeld: true });
      const columns = Object.keys(timeseriesPointSchema.shape);
      let afterSeq: number | undefined;
      do {
        const page = await caller.analytics.timeseries({ ...input, id, afterSeq, limit: MAX_TIMESERIES_PAGE });
        if (!res.headersSent) {
          res.writeHead(200, headers);
          res.write(`${columns.join(",")}\r\n`);
        }
        if (!res.write(csvLines(page.points, columns))) await drainedOrClosed(res);
        afterSeq = page.nextAfterSeq ?? undefined;
      } while (afterSeq !== undefined && !res.destroyed);
      res.end();
    };
    await (ctx.principal === undefined ? exportAll() : ctx.clientLimits.heavyQuery(ctx.principal.name, exportAll));
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    // Past the first page the status has gone out: a cut-short body is all that is left to say.
    if (res.headersSent) {
      res.destroy(error);
      return true;
    }
    sendProcedureError(res, error);
  }
  return true;
}
