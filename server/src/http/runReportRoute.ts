import type { ServerResponse } from "node:http";
import { TRPCError } from "@trpc/server";
import { runDifferences } from "@loadmgr/shared";
import type { Context } from "../context.js";
import { renderRunReport } from "../reports/runReport.js";
import { createCaller, pathId, sendProcedureError } from "./csvExport.js";

const REPORT = /^\/v1\/runs\/([^/]+)\/report\.html$/;
/** The chart points a report draws: enough for a smooth line, few enough for a small file. */
const REPORT_POINTS = 300;

/** The report runs no script and loads nothing: its own inline styles, and nothing else. */
export const REPORT_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/**
 * Serves `GET /v1/runs/{id}/report.html`: the run's report, built from the same procedures the
 * dashboard reads (so the same scope and the same figures); false when `path` is not one.
 */
export async function serveRunReport(path: string, ctx: Context, res: ServerResponse): Promise<boolean> {
  const match = REPORT.exec(path);
  if (match === null) return false;
  const id = pathId(res, match[1] ?? "");
  if (id === undefined) return true;
  try {
    const caller = createCaller(ctx);
    const run = await caller.runs.get({ id });
    const [test, summary, requests, graph] = await Promise.all([
      caller.loadTests.get({ id: run.loadTestId }),
      caller.analytics.summary({ id }),
      caller.analytics.requests({ id }),
      caller.analytics.graph({ id, maxPoints: REPORT_POINTS }),
    ]);
    const baselineId = run.verdict?.baselineRunId ?? null;
    const baseline =
      baselineId === null
        ? null
        : await caller.runs.get({ id: baselineId }).then(
            (b) => ({ id: b.id, name: b.name, differences: runDifferences(b, run) }),
            () => null, // deleted since: the report names it by id
          );
    const html = renderRunReport({
      run,
      testName: test.name,
      summary,
      requests,
      points: graph.points,
      baseline,
      generatedAt: ctx.now(),
    });
    res.writeHead(200, {
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": REPORT_POLICY,
      "content-disposition": `inline; filename="run-${id.replace(/[^\w.-]/g, "_")}-report.html"`,
      "cache-control": "no-store",
    });
    res.end(html);
  } catch (error) {
    if (!(error instanceof TRPCError)) throw error;
    sendProcedureError(res, error);
  }
  return true;
}
