import type { z } from "zod";
import { type runFileInputSchema, MAX_RUN_FILE_BYTES, type RunFile } from "@loadmgr/shared";
import { AppError, notFound } from "../../errors.js";
import { FILES_AFTER_END_MS } from "./ingest.helpers.js";
import type { Context } from "../../context.js";

export async function filesHandler(ctx: Context, input: z.infer<typeof runFileInputSchema>): Promise<RunFile> {
  const run = await ctx.store.runs.get(input.runId);
  if (run === undefined) throw notFound("RUN", input.runId, "runId");
  if (run.finishedAt !== null && ctx.now() - run.finishedAt > FILES_AFTER_END_MS) {
    throw new AppError("RUN_FINISHED", `run ${run.id} ended more than 10 minutes ago: its files are closed`, "runId");
  }
  const content = Buffer.from(input.contentBase64, "base64");
  if (content.length > MAX_RUN_FILE_BYTES) {
    throw new AppError("PAYLOAD_TOO_LARGE", `a run file holds at most ${MAX_RUN_FILE_BYTES} bytes`, "contentBase64");
  }
  const file = { name: input.name, bytes: content.length, truncated: input.truncated, collectedAt: ctx.now() };
  await ctx.metricsStore.putRunFile({ ...file, runId: run.id, loadTestId: run.loadTestId, content });
  ctx.logger.info({ runId: run.id, file: file.name, bytes: file.bytes }, "collected a file of the run's Locust");
  return file;
}
