import type { LoadTestRun, MetricSnapshot, RequestSample } from "@loadmgr/shared";

/** A channel name that carries messages of type T (JSON-serialisable). */
export type Channel<T> = string & { readonly __message?: T };

export const runStatusChannel = "status" as Channel<LoadTestRun>;
/** Stored snapshots as stored; subscribers turn them into LiveMetrics (only where someone watches). */
export const runMetricsChannel = (runId: string) => `metrics.${runId}` as Channel<MetricSnapshot>;
/** Batches of request samples as ingested. */
export const requestLogChannel = (runId: string) => `requests.${runId}` as Channel<RequestSample[]>;
/** The recent window of request samples, one item per sample. */
export const requestLogWindow = (runId: string) => `requests-window.${runId}` as Channel<RequestSample>;

export type Unsubscribe = () => Promise<void>;

/**
 * Live fan-out: what one server instance publishes reaches the subscribers of every instance.
 * In-process (one instance) or Redis pub/sub; both pass live.contract.ts.
 */
export interface LiveBus {
  readonly kind: "in-process" | "redis";
  publish<T>(channel: Channel<T>, message: T): Promise<void>;
  /** Resolves once the subscription is in place: every message published after that reaches `listener`, in order. */
  subscribe<T>(channel: Channel<T>, listener: (message: T) => void): Promise<Unsubscribe>;
  /** Appends to the channel's recent window, keeping the newest `keep` items (not published). */
  remember<T>(channel: Channel<T>, items: T[], keep: number): Promise<void>;
  /** The channel's recent window, oldest first. */
  recent<T>(channel: Channel<T>): Promise<T[]>;
  /**
   * Calls `listener` whenever the fan-out's connection has come back after a loss: messages published
   * meanwhile may never arrive, so subscribers fill in from the store. Answers the way to stop.
   */
  onResume(listener: () => void): () => void;
  close(): Promise<void>;
}

/** Windows untouched for this long are forgotten. */
export const RECENT_WINDOW_TTL_MS = 60 * 60 * 1000;
