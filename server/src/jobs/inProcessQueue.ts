import { CronExpressionParser } from "cron-parser";
import type { Logger } from "../logger.js";
import {
  QUEUE_DEFAULTS,
  type AddOptions,
  type Job,
  type JobDataByName,
  type JobName,
  type JobQueue,
  type Processor,
  type QueueCounts,
  type QueueOptions,
  runIdOf,
} from "./queue.js";

interface Entry {
  job: Job;
  id: string | undefined;
}

/** The zero-setup queue: jobs live in this process's memory (they do not survive a restart). */
export class InProcessQueue implements JobQueue {
  readonly kind = "in-process";
  private readonly options: Required<QueueOptions>;
  private readonly ready: Entry[] = [];
  private readonly known = new Set<string>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Cron jobs by id: the timer of each one's next tick. */
  private readonly crons = new Map<string, { timer: NodeJS.Timeout | undefined }>();
  private processor: Processor | undefined;
  private running = 0;
  private delayed = 0;
  private closed = false;
  private readonly idle = new Set<() => void>();

  constructor(
    private readonly logger: Logger,
    options: QueueOptions = {},
  ) {
    this.options = { ...QUEUE_DEFAULTS, ...options };
  }

  add<N extends JobName>(name: N, data: JobDataByName[N], options: AddOptions = {}): Promise<void> {
    if (this.closed) return Promise.resolve();
    if (options.jobId !== undefined) {
      if (this.known.has(options.jobId)) return Promise.resolve();
      this.known.add(options.jobId);
    }
    this.schedule({ job: { name, data, attempt: 1 } as Job, id: options.jobId }, options.delayMs ?? 0);
    return Promise.resolve();
  }

  /** Every tick comes to this process: not hearing of one means something is wrong here. */
  ticking(_name: JobName): Promise<boolean> {
    return Promise.resolve(false);
  }

  every(name: JobName, everyMs: number): Promise<void> {
    const timer = setInterval(() => void this.add(name, {}, { jobId: `every-${name}` }), everyMs);
    timer.unref();
    this.timers.add(timer);
    return Promise.resolve();
  }

  cron<N extends JobName>(id: string, cron: string, tz: string, name: N, data: JobDataByName[N]): Promise<void> {
    this.clearCron(id);
    const entry = { timer: undefined as NodeJS.Timeout | undefined };
    this.crons.set(id, entry);
    const arm = (): void => {
      if (this.closed || this.crons.get(id) !== entry) return; // replaced or stopped meanwhile
      const due = CronExpressionParser.parse(cron, { tz, currentDate: new Date() }).next().getTime();
      // setTimeout holds at most ~24.8 days; a later tick is waited for in steps.
      entry.timer = setTimeout(
        () => {
          if (this.closed || this.crons.get(id) !== entry) return;
          if (Date.now() < due) return arm();
          this.schedule({ job: { name, data, attempt: 1, dueAt: due } as Job, id: undefined }, 0);
          entry.timer = setTimeout(arm, 1); // past the tick, so the next one is the one after
          entry.timer.unref();
        },
        Math.max(0, Math.min(due - Date.now(), 2 ** 31 - 1)),
      );
      entry.timer.unref();
    };
    arm();
    return Promise.resolve();
  }

  uncron(id: string): Promise<void> {
    this.clearCron(id);
    return Promise.resolve();
  }

  private clearCron(id: string): void {
    const entry = this.crons.get(id);
    if (entry?.timer !== undefined) clearTimeout(entry.timer);
    this.crons.delete(id);
  }

  counts(): Promise<QueueCounts> {
    return Promise.resolve({ waiting: this.ready.length, delayed: this.delayed, active: this.running });
  }

  work(processor: Processor): Promise<void> {
    this.processor = processor;
    this.pump();
    return Promise.resolve();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const id of [...this.crons.keys()]) this.clearCron(id);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.delayed = 0;
    this.ready.length = 0;
    if (this.running > 0) await new Promise<void>((resolve) => this.idle.add(resolve));
  }

  private schedule(entry: Entry, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push(entry);
      this.pump();
      return;
    }
    this.delayed++;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.delayed--;
      this.ready.push(entry);
      this.pump();
    }, delayMs);
    timer.unref();
    this.timers.add(timer);
  }

  private pump(): void {
    const processor = this.processor;
    while (processor !== undefined && !this.closed && this.running < this.options.concurrency) {
      const entry = this.ready.shift();
      if (entry === undefined) return;
      this.running++;
      void this.run(processor, entry);
    }
  }

  private async run(processor: Processor, entry: Entry): Promise<void> {
    let retry = false;
    try {
      await processor(entry.job);
    } catch (error) {
      const { job } = entry;
      retry = job.attempt < this.options.attempts && !this.closed;
      this.logger.warn(
        { err: error, job: job.name, runId: runIdOf(job.data), attempt: job.attempt, retry },
        "job failed",
      );
      if (retry) {
        const delay = this.options.backoffMs * 2 ** (job.attempt - 1);
        this.schedule({ ...entry, job: { ...job, attempt: job.attempt + 1 } }, delay);
      }
    } finally {
      if (!retry && entry.id !== undefined) this.known.delete(entry.id);
      this.running--;
      if (this.running === 0) {
        for (const resolve of this.idle) resolve();
        this.idle.clear();
      }
      this.pump();
    }
  }
}
