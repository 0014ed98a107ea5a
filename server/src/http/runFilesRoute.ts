import type { ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { RUN_FILE_NAMES, type RunFileName } from "@loadmgr/shared";
import type { Context } from "../context.js";
import { createCaller, pathId, sendError, sendProcedureError } from "./csvExport.js";

const FILE = /^\/v1\/runs\/([^/]+)\/files\/([^/]+)$/;

/**
 * Serves `GET /v1/runs/{id}/files/{name}`: a file of the run's Locust as it wrote it (its CSVs, its
 * log), collected when the run's master ended, for whoever may read the run; false when `path` is not one.
 * Its bytes are the generator's (a script's output among them): sent as an attachment, never rendered.
 */
export async function serveRunFile(path: string, ctx: Context, res: ServerResponse): Promise<boolean> {
  const match = FILE.exec(path);
  if (match === null) return false;
  const id = pathId(res, match[1] ?? "");
  if (id === undefined) return true;
  const name = match[2] ?? "";
  if (!(RUN_FILE_NAMES as readonly string[]).includes(name)) {
    sendError(res, 404, {
      code: "FILE_NOT_FOUND",
      message: `a run's files are ${RUN_FILE_NAMES.join(", ")}`,
      field: "name",
    });
    return true;
  }
  try {
    const run = await createCaller(ctx).runs.get({ id });
    const file = await ctx.metricsStore.getRunFile(run.id, name as RunFileName);
    if (file === undefined) {
      sendError(res, 404, {
        code: "FILE_NOT_FOUND",
        message: `run ${run.id} has no ${name} (not collected yet, or its master ended before writing it)`,
        field: "name",
      });
      return true;
    }
    res.writeHead(200, {
      "content-type": name.endsWith(".csv") ? "text/csv; charset=utf-8" : "text/plain; charset=utf-8",
      "content-disposition": `attachment; filename="run-${run.id.replace(/[^\w.-]/g, "_")}-${name}"`,
      "content-length": file.content.length,
      "cache-control": "no-store",
      "x-content-type-options": "nosniff",
    });
    res.end(file.content);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    sendProcedureError(res, error);
  }
  return true;
}
