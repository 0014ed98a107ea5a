import type { z } from "zod";
import type { testStopInputSchema, IngestAck } from "@loadmgr/shared";
import { AppError } from "../../errors.js";
import { LOCUST_ACTOR } from "../../runs/runService.js";
import { openRun, checkTimestamp, STATUS_BY_REASON } from "./ingest.helpers.js";
import type { Context } from "../../context.js";

export async function testStopHandler(ctx: Context, input: z.infer<typeof testStopInputSchema>): Promise<IngestAck> {
  const run = await openRun(ctx, input.runId);
  checkTimestamp(ctx, run, input.timestamp);
  // Locust has evidently run even if its test-start never arrived.
  const status = await ctx.runs.markRunning(run, input.timestamp);
  // A stop that someone asked for ends as Stopped even if the duration ran out meanwhile.
  const to = status === "Stopping" && input.reason !== "error" ? "Stopped" : STATUS_BY_REASON[input.reason];
  const ended = await ctx.runs.end(
    run,
    to,
    to === "Failed" ? (input.message ?? "Locust reported an error") : null,
    LOCUST_ACTOR,
  );
  if (ended === undefined) {
    const current = await openRun(ctx, run.id);
    throw new AppError("INVALID_TRANSITION", `run ${run.id} is ${current.status}; it cannot become ${to}`, "reason");
  }
  // The run's own end, which may differ from the one asked (an auto-stopped run ends Failed).
  ctx.logger.info(
    { runId: run.id, status: ended.status, reason: input.reason, lastSeq: input.lastSeq },
    "Locust reported test stop",
  );
  return { ok: true, status: ended.status };
}
