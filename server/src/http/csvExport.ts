import type { ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { requestStatsRowSchema, timeseriesPointSchema } from "@loadmgr/shared";
import type { Context } from "../context.js";
import { describeError } from "../errors.js";
import { appRouter } from "../routers/index.js";
import { createCallerFactory } from "../trpc.js";

const createCaller = createCallerFactory(appRouter);

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

export function toCsv(rows: Record<string, string | number | boolean | null>[], columns: string[]): string {
  const lines = [columns.join(",")];
  for (const row of rows) lines.push(columns.map((column) => csvCell(row[column])).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

/** Serves `GET /v1/runs/{id}/requests.csv` and `/metrics/timeseries.csv`; false when `path` is neither. */
export async function serveCsvExport(path: string, query: URLSearchParams, ctx: Context, res: ServerResponse) {
  const match = EXPORTS.exec(path);
  if (match === null) return false;
  let id: string;
  try {
    id = decodeURIComponent(match[1] ?? "");
  } catch {
    res.writeHead(400, { "content-type": "application/json" });
    res.end(
      JSON.stringify({ code: "INVALID_INPUT", message: "the run id in the path is not a valid %-escape", field: "id" }),
    );
    return true;
  }
  const caller = createCaller(ctx);
  try {
    let csv: string;
    if (match[2] === "requests") {
      const stats = await caller.analytics.requests({ id });
      csv = toCsv([...stats.endpoints, stats.total], Object.keys(requestStatsRowSchema.shape));
    } else {
      const input = Object.fromEntries([...query].filter(([key]) => ["from", "to", "name"].includes(key)));
      const series = await caller.analytics.timeseries({ ...input, id });
      csv = toCsv(series.points, Object.keys(timeseriesPointSchema.shape));
    }
    res.writeHead(200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition": `attachment; filename="run-${id.replace(/[^\w.-]/g, "_")}-${match[2]?.replace("/", "-") ?? ""}.csv"`,
      "cache-control": "no-store",
    });
    res.end(csv);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    const { appCode, message, field } = describeError(error);
    res.writeHead(getHTTPStatusCodeFromError(error), { "content-type": "application/json" });
    res.end(JSON.stringify({ code: appCode, message, ...(field !== undefined ? { field } : {}) }));
  }
  return true;
}
