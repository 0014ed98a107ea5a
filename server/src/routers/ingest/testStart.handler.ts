import type { z } from "zod";
import type { testStartInputSchema, IngestAck } from "@loadmgr/shared";
import { openRun, checkTimestamp } from "./ingest.helpers.js";
import type { Context } from "../../context.js";

export async function testStartHandler(ctx: Context, input: z.infer<typeof testStartInputSchema>): Promise<IngestAck> {
  const run = await openRun(ctx, input.runId);
  checkTimestamp(ctx, run, input.timestamp);
  const status = await ctx.runs.markRunning(run, input.timestamp);
  ctx.logger.info({ runId: run.id, locust: input.locustVersion, workers: input.workers }, "Locust reported test start");
  return { ok: true, status };
}
