import {
  createTRPCClient,
  createWSClient,
  httpBatchLink,
  httpSubscriptionLink,
  retryLink,
  splitLink,
  wsLink,
  type TRPCClient,
} from "@trpc/client";
import superjson from "superjson";
import type { Timeseries, TimeseriesInput } from "@loadmgr/shared";
import type { AppRouter } from "../../server/src/routers/index.js";

// Types only: nothing of the server's runtime is imported by this package.
export type { AppRouter };
export type * from "@loadmgr/shared";

export type LoadManagerClient = TRPCClient<AppRouter>;

export interface LoadManagerClientOptions {
  /** The server, e.g. http://127.0.0.1:8080 (the client adds /trpc). */
  url: string;
  /** A bearer token: the admin token or a scoped one. */
  token: string;
  /**
   * The WebSocket class for subscriptions where the runtime has none (Node 20: `import { WebSocket } from
   * "ws"`). Without one, subscriptions use server-sent events (SSE).
   */
  WebSocket?: new (url: string, protocols?: string | string[]) => unknown;
  /** The EventSource class for SSE subscriptions where the runtime has none (Node 20: the `eventsource` package). */
  EventSource?: new (url: string, init?: { withCredentials?: boolean }) => unknown;
  /** Wait before reconnecting a dropped subscription; it resumes after the last event it got. */
  retryDelayMs?: (attempt: number) => number;
}

/** A single-use ticket for one SSE subscription (POST /v1/live-tickets), so the token stays out of URLs. */
async function liveTicket(base: string, token: string): Promise<string> {
  const res = await fetch(`${base}/v1/live-tickets`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: "{}",
  });
  const body = (await res.json()) as { ticket?: string; message?: string };
  if (!res.ok || body.ticket === undefined) throw new Error(`no live ticket: ${res.status} ${body.message ?? ""}`);
  return body.ticket;
}

type EventSourceClass = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;
interface EventSourceLike {
  readonly readyState: number;
  readonly CONNECTING: number;
  close(): void;
  addEventListener(type: "error", listener: () => void): void;
}

/**
 * An EventSource that does not reconnect by itself: its own reconnection would send the same URL, with
 * its single-use ticket (refused once used, or expired after 30 s). Closed on a loss, the subscription
 * errors, and the retry link below subscribes again: a fresh ticket, from after the last event it got.
 */
function withoutOwnReconnect(Base: EventSourceClass): EventSourceClass {
  return class extends Base {
    constructor(url: string, init?: { withCredentials?: boolean }) {
      super(url, init);
      // Before tRPC's own listener (added after construction), which then sees it closed.
      this.addEventListener("error", () => {
        if (this.readyState === this.CONNECTING) this.close();
      });
    }
  };
}

/** Answers that say the subscription itself is wrong (retrying cannot help). */
const FINAL_CODES = new Set(["BAD_REQUEST", "UNAUTHORIZED", "FORBIDDEN", "NOT_FOUND", "PARSE_ERROR"]);

/**
 * The typed client: queries and mutations over HTTP (batched), subscriptions over a WebSocket (or SSE
 * when there is no WebSocket), superjson on both. A dropped subscription reconnects and resumes after
 * the last tracked event (`lastEventId`), so a watcher misses nothing and sees nothing twice. The
 * WebSocket opens with the first subscription and closes a second after the last one ends.
 */
export function createLoadManagerClient(options: LoadManagerClientOptions): LoadManagerClient {
  const base = options.url.replace(/\/+$/, "");
  const trpcUrl = `${base}/trpc`;
  const retryDelayMs = options.retryDelayMs ?? ((attempt: number) => Math.min(500 * 2 ** attempt, 10_000));
  // The `ws` package's class works as the browser's does for tRPC; their type declarations differ.
  const WebSocketClass = (options.WebSocket ?? (globalThis as { WebSocket?: unknown }).WebSocket) as
    typeof globalThis.WebSocket | undefined;
  const eventSourceClass = (options.EventSource ?? (globalThis as { EventSource?: unknown }).EventSource) as
    EventSourceClass | undefined;
  const subscriptions =
    WebSocketClass !== undefined
      ? wsLink<AppRouter>({
          client: createWSClient({
            url: trpcUrl.replace(/^http/, "ws"),
            WebSocket: WebSocketClass,
            connectionParams: { token: options.token },
            lazy: { enabled: true, closeMs: 1000 },
            retryDelayMs,
          }),
          transformer: superjson,
        })
      : httpSubscriptionLink<AppRouter, typeof globalThis.EventSource>({
          url: trpcUrl,
          // SSE carries connection params in the URL: a fresh single-use ticket each (re)connection, never the token.
          connectionParams: async () => ({ ticket: await liveTicket(base, options.token) }),
          transformer: superjson,
          ...(eventSourceClass !== undefined
            ? { EventSource: withoutOwnReconnect(eventSourceClass) as unknown as typeof globalThis.EventSource }
            : {}),
        });
  // Over SSE, a lost subscription is subscribed again (from after its last event) with a fresh ticket; the
  // WebSocket client reconnects by itself.
  const resubscribe =
    WebSocketClass !== undefined
      ? []
      : [
          retryLink<AppRouter>({
            retry: ({ op, error }) =>
              op.type === "subscription" &&
              !FINAL_CODES.has(String(error.data?.code ?? "")) &&
              // The token itself refused: a new ticket will not come.
              !/no live ticket: 40[13]/.test(error.message),
            retryDelayMs,
          }),
        ];
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === "subscription",
        true: [...resubscribe, subscriptions],
        false: httpBatchLink({
          url: trpcUrl,
          // The server's default server.limits.maxBatchSize; a longer list of calls goes as several batches.
          maxItems: 50,
          transformer: superjson,
          headers: { authorization: `Bearer ${options.token}` },
        }),
      }),
    ],
  });
}

/**
 * A run's whole time series (or a window of it): the server answers a page at a time (at most
 * MAX_TIMESERIES_PAGE points); this asks for page after page and joins them.
 */
export async function wholeTimeseries(
  client: LoadManagerClient,
  input: Omit<TimeseriesInput, "afterSeq">,
): Promise<Timeseries> {
  const first = await client.analytics.timeseries.query(input);
  const points = [...first.points];
  for (let afterSeq = first.nextAfterSeq; afterSeq !== null;) {
    const page = await client.analytics.timeseries.query({ ...input, afterSeq });
    points.push(...page.points);
    afterSeq = page.nextAfterSeq;
  }
  return { ...first, points, nextAfterSeq: null };
}
