import { tracked } from "@trpc/server";
import { z } from "zod";
import {
  isTerminal,
  onMetricsInputSchema,
  onRequestLogInputSchema,
  onStatusInputSchema,
  type LoadTestRun,
  type RequestLogBatch,
} from "@loadmgr/shared";
import { inScope } from "../auth.js";
import type { Context } from "../context.js";
import { runInScope } from "../domain/access.js";
import { AppError } from "../errors.js";
import { EventBuffer } from "../live/eventBuffer.js";
import { liveMetricsOf } from "../live/liveMetrics.js";
import {
  requestLogChannel,
  requestLogWindow,
  runMetricsChannel,
  runStatusChannel,
  type Channel,
  type Unsubscribe,
} from "../live/liveBus.js";
import { isStoreUnavailable } from "../store/unavailable.js";
import { authedProcedure } from "../trpc.js";

/** Snapshots read from the store at a time when a subscription replays a run's backlog. */
const REPLAY_PAGE = 200;
/** Bytes a subscriber may leave unread on its connection before it is cut off (it resumes with lastEventId). */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/**
 * A subscription that holds one of the token's (and the connection's) slots while it runs. The slot
 * is taken before the subscription starts, so one over the limit is refused as an error, not started.
 */
function limited<A extends { ctx: Context; signal: AbortSignal | undefined }, T>(
  body: (args: A) => AsyncGenerator<T>,
): (args: A) => Promise<AsyncGenerator<T>> {
  return (args) => {
    const release = args.ctx.clientLimits.subscribe(args.ctx.principal?.name ?? "", args.ctx.connection);
    // A subscription ended before it ever ran never reaches the generator's finally.
    args.signal?.addEventListener("abort", release, { once: true });
    return Promise.resolve(
      (async function* () {
        try {
          yield* body(args);
        } catch (error) {
          // As every other procedure says it (trpc.ts): a subscription runs after the middleware has returned.
          if (isStoreUnavailable(error)) {
            throw new AppError("STORE_UNAVAILABLE", "the store cannot be reached right now; retry shortly");
          }
          throw error;
        } finally {
          release();
        }
      })(),
    );
  };
}

/** A subscriber that does not read is cut off, not buffered for: the server never holds a day's backlog for it. */
function keepUp(ctx: Context): void {
  if (ctx.unsent() > MAX_UNSENT_BYTES) {
    throw new AppError("SUBSCRIBER_TOO_SLOW", "the client is not reading; resubscribe with lastEventId", "runId");
  }
}

/** How many of the newest runs in scope a status subscription re-reads after a fan-out gap. */
const STATUS_REFILL = 50;
/** How many runs a status subscription remembers having sent (the oldest are forgotten first). */
const MAX_SENT_KEPT = 1000;

/** An event; the run's end; or a gap: the fan-out lost its connection and may have dropped events. */
type Item<T> = { kind: "event"; event: T } | { kind: "ended" } | { kind: "gap" };

/**
 * Subscribes `buffer` to a run's channel and to its end, before the caller reads any backlog, so
 * nothing published meanwhile is missed. The buffer gets `ended` once the run has ended.
 */
async function followRun<T>(
  ctx: Context,
  run: LoadTestRun,
  channel: Channel<T>,
): Promise<{ buffer: EventBuffer<Item<T>>; stop: () => Promise<void> }> {
  const buffer = new EventBuffer<Item<T>>();
  const offResume = ctx.live.onResume(() => buffer.push({ kind: "gap" }));
  const stops: Unsubscribe[] = [
    () => Promise.resolve(offResume()),
    await ctx.live.subscribe(channel, (event) => buffer.push({ kind: "event", event })),
    await ctx.live.subscribe(runStatusChannel, (changed) => {
      if (changed.id === run.id && isTerminal(changed.status)) buffer.push({ kind: "ended" });
    }),
  ];
  const current = await ctx.store.runs.get(run.id);
  if (current === undefined || isTerminal(current.status)) buffer.push({ kind: "ended" });
  return { buffer, stop: async () => void (await Promise.all(stops.map((stop) => stop()))) };
}

export const liveProcedures = {
  liveTicket: authedProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/live-tickets",
        tags: ["runs"],
        summary:
          "A single-use ticket, good for 30 s, that opens one live subscription over SSE (connectionParams {ticket}) in place of the token",
      },
    })
    .input(z.object({}).strict())
    .output(z.object({ ticket: z.string(), expiresAt: z.number().int() }))
    .mutation(({ ctx }) => ctx.liveTickets.issue(ctx.principal)),

  onMetrics: authedProcedure.input(onMetricsInputSchema).subscription(
    limited(async function* ({ ctx, input, signal }) {
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
    }),
  ),

  onStatus: authedProcedure.input(onStatusInputSchema).subscription(
    limited(async function* ({ ctx, input, signal }) {
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
    }),
  ),

  onRequestLog: authedProcedure.input(onRequestLogInputSchema).subscription(
    limited(async function* ({ ctx, input, signal }): AsyncGenerator<RequestLogBatch> {
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
    }),
  ),
};
