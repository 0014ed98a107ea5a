import type { z } from "zod";
import type { metricSnapshotInputSchema, IngestAck } from "@loadmgr/shared";
import { openRun, checkTimestamp, summarize } from "./ingest.helpers.js";
import type { Context } from "../../context.js";

export async function metricsHandler(
  ctx: Context,
  input: z.infer<typeof metricSnapshotInputSchema>,
): Promise<IngestAck> {
  let status: IngestAck["status"] = "Pending";
  let load: IngestAck["load"] = null;
  const outcome = await ctx.metrics.countIngest(async () => {
    const run = await openRun(ctx, input.runId);
    // The answer tells the master the load asked of it now, when it was changed while it ran.
    const change = run.loadChanges.at(-1);
    if (change !== undefined) {
      load = { version: run.loadChanges.length, targetUsers: change.targetUsers, spawnRate: change.spawnRate };
    }
    checkTimestamp(ctx, run, input.timestamp - input.intervalMs);
    checkTimestamp(ctx, run, input.timestamp);
    status = await ctx.runs.markRunning(run, input.timestamp - input.intervalMs);
    const { requestSamples, ...snapshot } = input;
    return ctx.runs.recordSnapshot(
      { ...run, status },
      {
        ...snapshot,
        loadTestId: run.loadTestId,
        accountId: run.accountId,
        orgId: run.orgId,
        projectId: run.projectId,
        envId: run.envId,
      },
      summarize(input),
      requestSamples,
    );
  });
  return { ok: true, status, duplicate: outcome === "duplicate", load };
}
