import { WebSocket } from "ws";
import { createLoadManagerClient, type LoadManagerClient } from "../../client/src/index.js";

/**
 * The typed client package's client (WebSocket to `/trpc`, token as a connection param, as a browser
 * must send it), reconnecting quickly. Its WebSocket closes a second after the last subscription ends.
 */
export function liveClient(httpUrl: string, token: string | null): LoadManagerClient {
  return createLoadManagerClient({ url: httpUrl, token: token ?? "", WebSocket, retryDelayMs: () => 100 });
}

/** What a subscription has delivered so far. */
export interface Received<T> {
  /** Each with its tracked id (if any) and when it arrived (performance.now()). */
  events: { id: string | undefined; data: T; at: number }[];
  errors: Error[];
  completed: boolean;
  stop: () => void;
}

interface Subscribable {
  subscribe(
    input: never,
    handlers: { onData(value: unknown): void; onError(error: unknown): void; onComplete(): void },
  ): { unsubscribe(): void };
}

/** Subscribes and records every event (with its tracked id, if any), error and completion. */
export function collect<D>(procedure: Subscribable, input: object): Received<D> {
  const received: Received<D> = { events: [], errors: [], completed: false, stop: () => undefined };
  // The client is a proxy of paths: call `subscribe` on it directly (no bind, no destructuring).
  const subscription = procedure.subscribe(input as never, {
    onData: (value) => {
      const tracked = typeof value === "object" && value !== null && "id" in value && "data" in value;
      received.events.push(
        tracked
          ? { id: String((value as { id: unknown }).id), data: (value as { data: D }).data, at: performance.now() }
          : { id: undefined, data: value as D, at: performance.now() },
      );
    },
    onError: (error) => received.errors.push(error as Error),
    onComplete: () => (received.completed = true),
  });
  received.stop = () => subscription.unsubscribe();
  return received;
}
