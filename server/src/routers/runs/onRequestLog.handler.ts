import type { z } from "zod";
import { isTerminal, type onRequestLogInputSchema, type RequestLogBatch } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import { requestLogChannel, requestLogWindow } from "../../live/liveBus.js";
import { followRun, keepUp, type SubscriptionArgs } from "./runs.helpers.js";

/** A run's request samples as they come, the recent window first (samples are not stored). */
export async function* onRequestLogHandler({
  ctx,
  input,
  signal,
}: SubscriptionArgs<z.infer<typeof onRequestLogInputSchema>>): AsyncGenerator<RequestLogBatch> {
  const run = await runInScope(ctx, input.runId);
  const { buffer, stop } = await followRun(ctx, run, requestLogChannel(run.id));
  try {
    const recent = await ctx.live.recent(requestLogWindow(run.id));
    // A batch that arrived while the window was read is in both; send its samples once.
    const seen = new Set(recent.map((sample) => JSON.stringify(sample)));
    if (recent.length > 0) yield { runId: run.id, samples: recent };
    for await (const item of buffer.drain(signal)) {
      if (item.kind === "ended") return;
      // Samples are not stored: a dropped batch is gone, but a dropped end is not.
      if (item.kind === "gap") {
        const current = await ctx.store.runs.get(run.id);
        if (current === undefined || isTerminal(current.status)) return;
        continue;
      }
      const samples = item.event.filter((sample) => !seen.has(JSON.stringify(sample)));
      keepUp(ctx);
      if (samples.length > 0) yield { runId: run.id, samples };
    }
  } finally {
    await stop();
  }
}
