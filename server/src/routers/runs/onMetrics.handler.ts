import { tracked } from "@trpc/server";
import type { z } from "zod";
import { isTerminal, type onMetricsInputSchema } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import { liveMetricsOf } from "../../live/liveMetrics.js";
import { runMetricsChannel } from "../../live/liveBus.js";
import { followRun, keepUp, type SubscriptionArgs } from "./runs.helpers.js";

/** Snapshots read from the store at a time when a subscription replays a run's backlog. */
const REPLAY_PAGE = 200;
/**
 * A run's snapshots as they come: after `lastEventId`, the stored ones first (a resumed subscription's
 * backlog), then live, until the run has ended and everything stored was sent.
 */
export async function* onMetricsHandler({
  ctx,
  input,
  signal,
}: SubscriptionArgs<z.infer<typeof onMetricsInputSchema>>) {
  const run = await runInScope(ctx, input.runId);
  const { buffer, stop } = await followRun(ctx, run, runMetricsChannel(run.id));
  try {
    let lastSeq = input.lastEventId !== undefined && input.lastEventId !== null ? Number(input.lastEventId) : -1;
    /**
     * Snapshots stored after `lastSeq`: the backlog of a resumed subscription, and what a run's end
     * may leave. Read a page at a time, so that replaying a day-long run does not hold it all.
     */
    const replay = async function* () {
      if (lastSeq < 0) return;
      for (;;) {
        const page = await ctx.metricsStore.listMetricSnapshots(run.id, { afterSeq: lastSeq }, REPLAY_PAGE);
        for (const snapshot of page) {
          keepUp(ctx);
          lastSeq = snapshot.seq;
          yield tracked(String(snapshot.seq), liveMetricsOf(snapshot));
        }
        if (page.length < REPLAY_PAGE) return;
        // Between pages, everything else the server does (ingest first) gets its turn.
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    yield* replay();
    for await (const item of buffer.drain(signal)) {
      if (item.kind === "ended") {
        yield* replay();
        return;
      }
      if (item.kind === "gap") {
        // What the fan-out dropped is in the store; so is the run's end, if that was dropped too.
        yield* replay();
        const current = await ctx.store.runs.get(run.id);
        if (current === undefined || isTerminal(current.status)) {
          yield* replay();
          return;
        }
        continue;
      }
      // A seq skipped: the fan-out dropped it (the store never skips one).
      if (lastSeq >= 0 && item.event.seq > lastSeq + 1) yield* replay();
      if (item.event.seq <= lastSeq) continue;
      keepUp(ctx);
      lastSeq = item.event.seq;
      yield tracked(String(item.event.seq), liveMetricsOf(item.event));
    }
    if (buffer.overflowed) {
      throw new AppError("SUBSCRIBER_TOO_SLOW", "fell too far behind; resubscribe with lastEventId", "runId");
    }
  } finally {
    await stop();
  }
}
