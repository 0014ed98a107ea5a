import { isTerminal, type LoadTestRun } from "@loadmgr/shared";
import type { Context } from "../../context.js";
import { AppError } from "../../errors.js";
import { EventBuffer } from "../../live/eventBuffer.js";
import { runStatusChannel, type Channel, type Unsubscribe } from "../../live/liveBus.js";
import { isStoreUnavailable } from "../../store/unavailable.js";
import type { AuthedContext } from "../../trpc.js";

/** What a live subscription's handler is given. */
export interface SubscriptionArgs<I> {
  ctx: AuthedContext;
  input: I;
  signal: AbortSignal | undefined;
}

/** Bytes a subscriber may leave unread on its connection before it is cut off (it resumes with lastEventId). */
const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

/**
 * A subscription that holds one of the token's (and the connection's) slots while it runs. The slot
 * is taken before the subscription starts, so one over the limit is refused as an error, not started.
 */
export function limited<A extends { ctx: Context; signal: AbortSignal | undefined }, T>(
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
export function keepUp(ctx: Context): void {
  if (ctx.unsent() > MAX_UNSENT_BYTES) {
    throw new AppError("SUBSCRIBER_TOO_SLOW", "the client is not reading; resubscribe with lastEventId", "runId");
  }
}

/** An event; the run's end; or a gap: the fan-out lost its connection and may have dropped events. */
export type Item<T> = { kind: "event"; event: T } | { kind: "ended" } | { kind: "gap" };

/**
 * Subscribes `buffer` to a run's channel and to its end, before the caller reads any backlog, so
 * nothing published meanwhile is missed. The buffer gets `ended` once the run has ended.
 */
export async function followRun<T>(
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
