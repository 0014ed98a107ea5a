import type { WebhookEvent } from "@loadmgr/shared";

/**
 * Every job, by name, with the data it carries. Every processor is idempotent: delivery is at least
 * once. (Data comes back from Redis as it was stored, possibly by an older version: handlers check
 * what they read.)
 */
export interface JobDataByName {
  /** Place and launch a run (lifecycle). */
  "run.start": { runId: string };
  /** A stop was asked (the Stopping status, already stored, is what the master's agent acts on). */
  "run.stop": { runId: string };
  /** Check a run against its limits once its time is up. */
  "run.guard": { runId: string };
  /** Look over every active run (every SWEEP_EVERY_MS, once across processes). */
  "runs.sweep": Record<string, never>;
  /** One attempt at one webhook delivery (webhooks/webhookNotifier.ts). */
  "webhook.deliver": {
    deliveryId: string;
    webhookId: string;
    event: WebhookEvent;
    runId: string;
    body: string;
    attempt: number;
  };
  /** A schedule's cron tick (schedules/scheduler.ts). */
  "schedule.tick": { scheduleId: string };
}

export type JobName = keyof JobDataByName;

/** Any job's data (what a queue stores). */
export type AnyJobData = JobDataByName[JobName];

/** The run a job is about, if any (for logs). */
export const runIdOf = (data: AnyJobData | undefined): string | undefined =>
  data !== undefined && "runId" in data && typeof data.runId === "string" ? data.runId : undefined;

/** A job of one name as a processor gets it. */
export interface JobOf<N extends JobName> {
  name: N;
  data: JobDataByName[N];
  /** 1 on the first delivery, 2 on the first retry… */
  attempt: number;
  /** For a cron job's tick: when the tick was due (it may run later: a busy queue, a server that was down). */
  dueAt?: number;
}

/** Any job: narrowed by its name. */
export type Job = { [N in JobName]: JobOf<N> }[JobName];

/** What handles each job name: one handler per name (jobRouter turns them into the queue's processor). */
export type JobHandlers = { [N in JobName]: (job: JobOf<N>) => Promise<void> };

/** The queue's processor: each job to its name's handler. */
export function jobRouter(handlers: JobHandlers): Processor {
  return (job) => (handlers[job.name] as (job: Job) => Promise<void>)(job);
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
  add<N extends JobName>(name: N, data: JobDataByName[N], options?: AddOptions): Promise<void>;
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
  cron<N extends JobName>(id: string, cron: string, tz: string, name: N, data: JobDataByName[N]): Promise<void>;
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
