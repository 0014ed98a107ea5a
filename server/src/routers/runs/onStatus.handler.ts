import type { z } from "zod";
import { type LoadTestRun, type onStatusInputSchema } from "@loadmgr/shared";
import { inScope } from "../../auth.js";
import { AppError } from "../../errors.js";
import { EventBuffer } from "../../live/eventBuffer.js";
import { runStatusChannel } from "../../live/liveBus.js";
import { keepUp, type Item, type SubscriptionArgs } from "./runs.helpers.js";

/** How many of the newest runs in scope a status subscription re-reads after a fan-out gap. */
const STATUS_REFILL = 50;
/** How many runs a status subscription remembers having sent (the oldest are forgotten first). */
const MAX_SENT_KEPT = 1000;

/** Every change of status of the runs in scope that match the filter, each once, from now on. */
export async function* onStatusHandler({
  ctx,
  input,
  signal,
}: SubscriptionArgs<z.infer<typeof onStatusInputSchema>>): AsyncGenerator<LoadTestRun> {
  const since = ctx.now();
  const buffer = new EventBuffer<Item<LoadTestRun>>();
  const matches = (run: LoadTestRun): boolean =>
    inScope(ctx.principal, run) &&
    (input.accountId === undefined || input.accountId === run.accountId) &&
    (input.orgId === undefined || input.orgId === run.orgId) &&
    (input.projectId === undefined || input.projectId === run.projectId) &&
    (input.loadTestId === undefined || input.loadTestId === run.loadTestId);
  /** What this subscriber was last sent per run (status and updatedAt), to send each change once. */
  const sent = new Map<string, string>();
  const offResume = ctx.live.onResume(() => buffer.push({ kind: "gap" }));
  const stop = await ctx.live.subscribe(runStatusChannel, (run) => {
    if (matches(run)) buffer.push({ kind: "event", event: run });
  });
  try {
    for await (const item of buffer.drain(signal)) {
      // After a fan-out gap, the newest runs in scope that changed since this subscription began,
      // from the store: changes the fan-out dropped (a run may even have started and ended meanwhile).
      const runs =
        item.kind === "event"
          ? [item.event]
          : (await ctx.store.runs.list({ ...input }, { limit: STATUS_REFILL })).items
              .filter((run) => matches(run) && run.updatedAt >= since)
              .reverse();
      for (const run of runs) {
        const key = `${run.status}@${run.updatedAt}@${run.launchedAt ?? ""}`;
        if (sent.get(run.id) === key) continue;
        if (sent.size >= MAX_SENT_KEPT) sent.delete(sent.keys().next().value as string);
        sent.set(run.id, key);
        keepUp(ctx);
        yield run;
      }
    }
    if (buffer.overflowed) throw new AppError("SUBSCRIBER_TOO_SLOW", "fell too far behind; resubscribe");
  } finally {
    offResume();
    await stop();
  }
}
