import { Queue, Worker } from "bullmq";
import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { onReconnect } from "../redisReconnect.js";
import {
  QUEUE_DEFAULTS,
  type AddOptions,
  type AnyJobData,
  type Job,
  type JobDataByName,
  type JobName,
  type JobQueue,
  type Processor,
  type QueueCounts,
  type QueueOptions,
  runIdOf,
} from "./queue.js";

export interface BullMqOptions extends QueueOptions {
  redisUrl: string;
  /** The queue's name in Redis; every process of one deployment uses the same one. */
  name?: string;
  /** How long a worker holds a job before it counts as stalled (a dead worker's job is redelivered after it). */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
}

/** Jobs in Redis via BullMQ: they survive restarts and any number of worker processes share them. */
export class BullMqQueue implements JobQueue {
  readonly kind = "bullmq";
  private readonly queue: Queue;
  private readonly connections: Redis[] = [];
  private worker: Worker | undefined;
  private readonly options: Required<QueueOptions>;
  /** The repeating jobs this process registered, registered again whenever Redis comes back. */
  private readonly schedules = new Map<JobName, number>();
  /** The cron schedulers this process registered (and did not remove), registered again likewise. */
  private readonly crons = new Map<string, { cron: string; tz: string; name: JobName; data: AnyJobData }>();

  constructor(
    private readonly settings: BullMqOptions,
    private readonly logger: Logger,
  ) {
    this.options = { ...QUEUE_DEFAULTS, ...settings };
    const connection = this.connect();
    this.queue = new Queue(settings.name ?? "loadmgr-runs", { connection });
    this.queue.on("error", (error) => this.logger.error({ err: error }, "job queue connection error"));
    // A Redis restarted without persistence has forgotten the schedulers; one that was only away has
    // them still (upserting is idempotent). Either way, they are put back once it answers again.
    // (Delayed jobs, a run's guard, are not kept here: the sweep checks every active run regardless.)
    onReconnect(connection, () => {
      this.logger.warn(
        { schedules: [...this.schedules.keys()], crons: this.crons.size },
        "job queue reconnected: registering schedules again",
      );
      for (const [name, everyMs] of this.schedules) {
        this.schedule(name, everyMs).catch((error: unknown) =>
          this.logger.error({ err: error, job: name }, "could not register a schedule again"),
        );
      }
      for (const [id, { cron, tz, name, data }] of this.crons) {
        this.upsertCron(id, cron, tz, name, data).catch((error: unknown) =>
          this.logger.error({ err: error, scheduleId: id }, "could not register a cron schedule again"),
        );
      }
    });
  }

  async add<N extends JobName>(name: N, data: JobDataByName[N], options: AddOptions = {}): Promise<void> {
    await this.queue.add(name, data, {
      ...(options.jobId !== undefined ? { jobId: options.jobId } : {}),
      ...(options.delayMs !== undefined ? { delay: options.delayMs } : {}),
      attempts: this.options.attempts,
      backoff: { type: "exponential", delay: this.options.backoffMs },
      removeOnComplete: true,
      removeOnFail: 1000,
    });
  }

  async every(name: JobName, everyMs: number): Promise<void> {
    this.schedules.set(name, everyMs);
    await this.schedule(name, everyMs);
  }

  async ticking(name: JobName): Promise<boolean> {
    const everyMs = this.schedules.get(name);
    if (everyMs === undefined) return false;
    const scheduler = await this.queue.getJobScheduler(`every-${name}`);
    const next = scheduler?.next;
    return next !== undefined && next >= Date.now() - 2 * everyMs;
  }

  private async schedule(name: JobName, everyMs: number): Promise<void> {
    // Each tick is a job; kept after it ran, they would pile up in Redis (one every tick, forever).
    await this.queue.upsertJobScheduler(
      `every-${name}`,
      { every: everyMs },
      { name, data: {}, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  async cron<N extends JobName>(id: string, cron: string, tz: string, name: N, data: JobDataByName[N]): Promise<void> {
    this.crons.set(id, { cron, tz, name, data });
    await this.upsertCron(id, cron, tz, name, data);
  }

  private async upsertCron(id: string, cron: string, tz: string, name: JobName, data: AnyJobData): Promise<void> {
    // One scheduler per id in Redis: BullMQ makes each tick one job, whichever process asks.
    await this.queue.upsertJobScheduler(
      `cron-${id}`,
      { pattern: cron, tz },
      { name, data, opts: { removeOnComplete: true, removeOnFail: 100 } },
    );
  }

  async uncron(id: string): Promise<void> {
    this.crons.delete(id);
    await this.queue.removeJobScheduler(`cron-${id}`);
  }

  async counts(): Promise<QueueCounts> {
    const { waiting = 0, delayed = 0, active = 0 } = await this.queue.getJobCounts("waiting", "delayed", "active");
    return { waiting, delayed, active };
  }

  async work(processor: Processor): Promise<void> {
    this.worker = new Worker(
      this.queue.name,
      async (job) => {
        // A scheduler's job carries the tick it stands for.
        const due = (job.opts as { prevMillis?: number }).prevMillis;
        return processor({
          name: job.name as JobName,
          data: job.data as AnyJobData,
          attempt: job.attemptsMade + 1,
          ...(job.repeatJobKey !== undefined && due !== undefined ? { dueAt: due } : {}),
        } as Job);
      },
      {
        connection: this.connect(),
        concurrency: this.options.concurrency,
        lockDuration: this.settings.lockDurationMs ?? 30_000,
        stalledInterval: this.settings.stalledIntervalMs ?? 15_000,
        maxStalledCount: 3,
      },
    );
    this.worker.on("error", (error) => this.logger.error({ err: error }, "job worker error"));
    this.worker.on("failed", (job, error) =>
      this.logger.warn(
        { err: error, job: job?.name, runId: runIdOf(job?.data as AnyJobData | undefined) },
        "job failed",
      ),
    );
    await this.worker.waitUntilReady();
  }

  async close(): Promise<void> {
    await this.worker?.close();
    await this.queue.close();
    await Promise.all(this.connections.map((c) => c.quit().catch(() => c.disconnect())));
  }

  private connect(): Redis {
    // Workers block on Redis; BullMQ requires maxRetriesPerRequest: null on their connections.
    const connection = new Redis(this.settings.redisUrl, { maxRetriesPerRequest: null });
    this.connections.push(connection);
    return connection;
  }
}
