import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import { RUN_STATUSES, type RunStatus } from "@loadmgr/shared";
import type { Processor, QueueCounts } from "../jobs/queue.js";
import { within } from "../within.js";

/** Where the gauges read their values when Prometheus scrapes. */
export interface MetricSources {
  runsByStatus: () => Promise<Partial<Record<RunStatus, number>>>;
  queueCounts: () => Promise<QueueCounts>;
  liveSubscribers: () => number;
  /** Worker connections the relay joins to their masters right now. */
  relayStreams: () => number;
}

const FAST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * The server's own figures for Prometheus (`GET /metrics`): runs by status, ingest pushes and their
 * latency, the job queue's depth and job durations, live subscribers, store operation latency, and
 * Node's process figures (event-loop lag among them). One registry per server instance.
 */
export class ServerMetrics {
  private readonly registry = new Registry();
  private readonly ingestPushes: Counter<"outcome">;
  private readonly ingestSeconds: Histogram;
  private readonly jobSeconds: Histogram<"job" | "outcome">;
  private readonly storeSeconds: Histogram<"operation">;
  private readonly relayBytes: Counter;

  constructor(sources: MetricSources) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.ingestPushes = new Counter({
      name: "loadmgr_ingest_pushes_total",
      help: "Snapshots Locust pushed, by outcome: added, duplicate (a resend of a stored seq), refused",
      labelNames: ["outcome"],
      registers,
    });
    this.ingestSeconds = new Histogram({
      name: "loadmgr_ingest_push_duration_seconds",
      help: "Time to take one snapshot push, from its request's arrival (before its body is read, parsed and checked) to its answer's last byte",
      buckets: FAST_BUCKETS,
      registers,
    });
    this.jobSeconds = new Histogram({
      name: "loadmgr_job_duration_seconds",
      help: "Time a job of a run's life took (start, stop, guard, sweep), by outcome",
      labelNames: ["job", "outcome"],
      buckets: FAST_BUCKETS,
      registers,
    });
    this.storeSeconds = new Histogram({
      name: "loadmgr_store_operation_duration_seconds",
      help: "Time one store operation took on the server's thread, by operation",
      labelNames: ["operation"],
      buckets: FAST_BUCKETS,
      registers,
    });
    new Gauge({
      name: "loadmgr_runs",
      help: "Runs by status",
      labelNames: ["status"],
      registers,
      async collect() {
        const counts = await sources.runsByStatus();
        for (const status of RUN_STATUSES) this.set({ status }, counts[status] ?? 0);
      },
    });
    // The queue's counts, asked once per scrape: Redis down, they never come (its connection retries for
    // ever), and a scrape must not wait on them. Then the jobs gauge has no samples and queue_up says 0.
    let counts: { at: number; answer: Promise<QueueCounts | undefined> } | undefined;
    const queueCounts = (): Promise<QueueCounts | undefined> => {
      if (counts === undefined || Date.now() - counts.at > QUEUE_COUNTS_TIMEOUT_MS * 2) {
        counts = { at: Date.now(), answer: within(sources.queueCounts(), QUEUE_COUNTS_TIMEOUT_MS) };
      }
      return counts.answer;
    };
    new Gauge({
      name: "loadmgr_queue_up",
      help: `1 when the job queue answered this scrape within ${QUEUE_COUNTS_TIMEOUT_MS} ms, else 0 (Redis away)`,
      registers,
      async collect() {
        this.set((await queueCounts()) === undefined ? 0 : 1);
      },
    });
    new Gauge({
      name: "loadmgr_queue_jobs",
      help: "Jobs in the queue by state: waiting, delayed (a guard's due time, a retry's backoff), active",
      labelNames: ["state"],
      registers,
      async collect() {
        const answered = await queueCounts();
        this.reset();
        if (answered === undefined) return;
        this.set({ state: "waiting" }, answered.waiting);
        this.set({ state: "delayed" }, answered.delayed);
        this.set({ state: "active" }, answered.active);
      },
    });
    this.relayBytes = new Counter({
      name: "loadmgr_relay_bytes_total",
      help: "Bytes of Locust's worker traffic the relay carried, both ways (runs whose master's host takes no inbound connection)",
      registers,
    });
    new Gauge({
      name: "loadmgr_relay_streams",
      help: "Worker connections the relay joins to their masters right now",
      registers,
      collect() {
        this.set(sources.relayStreams());
      },
    });
    new Gauge({
      name: "loadmgr_live_subscribers",
      help: "Live subscriptions open on this server (WebSocket and SSE)",
      registers,
      collect() {
        this.set(sources.liveSubscribers());
      },
    });
  }

  /** What GET /metrics answers: Prometheus's text format. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  /** Counts bytes the worker relay carried. */
  relayed(bytes: number): void {
    this.relayBytes.inc(bytes);
  }

  /** Counts one ingest push by its outcome (added, duplicate, or refused when it throws). */
  async countIngest<T extends "added" | "duplicate">(push: () => Promise<T>): Promise<T> {
    try {
      const outcome = await push();
      this.ingestPushes.inc({ outcome });
      return outcome;
    } catch (error) {
      this.ingestPushes.inc({ outcome: "refused" });
      throw error;
    }
  }

  /**
   * Times a snapshot push as its client sees it: from the request's arrival (the HTTP layer calls this
   * before it reads the body) until its answer is sent or its connection goes.
   */
  timeIngestRequest(done: (listener: () => void) => void): void {
    const end = this.ingestSeconds.startTimer();
    done(() => end());
  }

  /** The queue's processor, timed per job. */
  timedProcessor(process: Processor): Processor {
    return async (job) => {
      const end = this.jobSeconds.startTimer({ job: job.name });
      try {
        await process(job);
        end({ outcome: "ok" });
      } catch (error) {
        end({ outcome: "error" });
        throw error;
      }
    };
  }

  /** A store (entities or metrics) with every operation timed (same object, same behaviour; only a clock around each call). */
  timedStore<T extends object>(store: T): T {
    const timed = Object.create(store) as Record<string, unknown>;
    let proto: object | null = Object.getPrototypeOf(store) as object | null;
    const names = new Set<string>();
    while (proto !== null && proto !== Object.prototype) {
      for (const name of Object.getOwnPropertyNames(proto)) if (name !== "constructor") names.add(name);
      proto = Object.getPrototypeOf(proto) as object | null;
    }
    for (const name of names) {
      const method = (store as unknown as Record<string, unknown>)[name];
      if (typeof method !== "function" || name.startsWith("_")) continue;
      const histogram = this.storeSeconds;
      timed[name] = function (this: unknown, ...args: unknown[]): unknown {
        // Started first: SQLite does its work synchronously, before the promise is returned.
        const end = histogram.startTimer({ operation: name });
        const result: unknown = (method as (...a: unknown[]) => unknown).apply(store, args);
        return result instanceof Promise ? result.finally(end) : result;
      };
    }
    return timed as unknown as T;
  }
}

/** How long a scrape waits for the job queue's counts. */
const QUEUE_COUNTS_TIMEOUT_MS = 1000;
