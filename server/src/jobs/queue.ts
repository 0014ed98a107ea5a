/** The jobs of a run's life. Every processor is idempotent: delivery is at least once. */
export type JobName = "run.start" | "run.stop" | "run.guard" | "runs.sweep" | "webhook.deliver" | "schedule.tick";

export interface JobData {
  runId?: string;
  /** webhook.deliver's (webhooks/webhookNotifier.ts DeliveryJob). */
  deliveryId?: string;
  webhookId?: string;
  event?: string;
  body?: string;
  attempt?: number;
  /** schedule.tick's. */
  scheduleId?: string;
}

export interface Job {
  name: JobName;
  data: JobData;
  /** 1 on the first delivery, 2 on the first retry… */
  attempt: number;
  /** For a cron job's tick: when the tick was due (it may run later: a busy queue, a server that was down). */
  dueAt?: number;
}

export interface AddOptions {
  /** Another add with the same id while the first is still queued, delayed or running is ignored. No `:`. */
  jobId?: string;
  delayMs?: number;
}

export type Processor = (job: Job) => Promise<void>;

/**
 * One queue interface, two backends: InProcessQueue (no setup) and BullMqQueue (Redis). Both pass
 * queue.contract.ts. A failed job is retried (up to `attempts`, with backoff); a job whose worker
 * died is delivered again.
 */
export interface JobQueue {
  readonly kind: "in-process" | "bullmq";
  add(name: JobName, data: JobData, options?: AddOptions): Promise<void>;
  /** Adds `name` every `everyMs`, once across every process sharing the queue. */
  every(name: JobName, everyMs: number): Promise<void>;
  /**
   * Whether the `every` schedule of `name` is ticking for the processes sharing the queue (its next tick
   * is not overdue): each tick reaches one process, so another may see none for a while and be fine.
   */
  ticking(name: JobName): Promise<boolean>;
  /**
   * Adds `name` with `data` at each tick of `cron` (5 fields, or 6 with seconds first) in time zone
   * `tz`, once per tick across every process sharing the queue (BullMQ's job schedulers); the same
   * `id` again replaces it. The queue does not replay ticks it missed while no process ran.
   */
  cron(id: string, cron: string, tz: string, name: JobName, data: JobData): Promise<void>;
  /** Stops the cron job `id` (nothing when there is none). */
  uncron(id: string): Promise<void>;
  /** How many jobs wait, are delayed or run now (across every process sharing the queue, for BullMQ). */
  counts(): Promise<QueueCounts>;
  /** Starts processing jobs in this process. */
  work(processor: Processor): Promise<void>;
  close(): Promise<void>;
}

export interface QueueCounts {
  waiting: number;
  delayed: number;
  active: number;
}

export interface QueueOptions {
  attempts?: number;
  backoffMs?: number;
  concurrency?: number;
}

export const QUEUE_DEFAULTS = { attempts: 5, backoffMs: 500, concurrency: 8 } as const;

/** Job ids are also BullMQ keys, which must not hold `:`. */
export function jobId(...parts: string[]): string {
  return parts.join("-").replaceAll(":", "_");
}
