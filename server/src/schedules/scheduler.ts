import { isTerminal, type Schedule, type ScheduleTick } from "@loadmgr/shared";
import type { Logger } from "../logger.js";
import type { SandboxStatus } from "../runners/sandbox.js";
import { startNewRun, type NewRunDeps } from "../runs/newRun.js";
import { AppError } from "../errors.js";
import type { JobOf, JobQueue } from "../jobs/queue.js";
import { nextTick } from "./cron.js";

type SchedulerDeps = NewRunDeps & { logger: Logger; sandbox: SandboxStatus; queue: JobQueue };

/**
 * Starts the runs of schedules. Each enabled schedule is a cron job on the queue (BullMQ job
 * schedulers with Redis: one job per tick whichever process registered it; timers in process
 * otherwise), registered when it is saved and again when a worker process starts. A tick starts
 * a run of the test's latest revision with the schedule's overrides and thresholds, recorded as
 * `trigger: {type: "schedule", scheduleId}`; it is skipped, and recorded so, while the schedule's
 * previous run is still active, when it comes too late (the server was down at its time: missed
 * ticks are not replayed), or when the run is refused (the reason is kept).
 */
export class Scheduler {
  constructor(private readonly deps: SchedulerDeps) {}

  /** Puts the schedule on the queue, or takes it off when it is disabled. */
  async register(schedule: Pick<Schedule, "id" | "cron" | "timezone" | "enabled">): Promise<void> {
    if (schedule.enabled) {
      await this.deps.queue.cron(schedule.id, schedule.cron, schedule.timezone, "schedule.tick", {
        scheduleId: schedule.id,
      });
    } else {
      await this.deps.queue.uncron(schedule.id);
    }
  }

  async unregister(id: string): Promise<void> {
    await this.deps.queue.uncron(id);
  }

  /** Registers every schedule again (a worker's start: the in-process queue forgot them; BullMQ's upsert is idempotent). */
  async registerAll(): Promise<void> {
    for (const schedule of await this.deps.store.schedules.list()) await this.register(schedule);
  }

  /** The next run time of a schedule as it stands; null while disabled. */
  nextRunAt(schedule: Pick<Schedule, "cron" | "timezone" | "enabled">, after = this.deps.now()): number | null {
    return schedule.enabled ? nextTick(schedule.cron, schedule.timezone, after) : null;
  }

  /** The queue's processor for schedule.tick. */
  async tick(job: JobOf<"schedule.tick">): Promise<void> {
    const id = job.data.scheduleId;
    if (typeof id !== "string") return;
    const { store, logger, config } = this.deps;
    const schedule = await store.schedules.get(id);
    if (schedule === undefined) {
      await this.unregister(id); // deleted, with its test or by itself, in another process
      return;
    }
    if (!schedule.enabled) return;
    const now = this.deps.now();
    const due = job.dueAt ?? now;
    const record = async (tick: Omit<ScheduleTick, "at">): Promise<void> => {
      await store.schedules.recordTick(id, { at: due, ...tick }, this.nextRunAt(schedule, Math.max(now, due)));
      const fields = { scheduleId: id, loadTestId: schedule.loadTestId, due, runId: tick.runId };
      if (tick.outcome === "started") logger.info(fields, "scheduled run started");
      else logger.warn({ ...fields, reason: tick.reason }, "scheduled tick skipped");
    };
    if (now - due > config.schedules.lateTickSec * 1000) {
      await record({
        outcome: "skipped",
        runId: null,
        reason: `missed: due at ${new Date(due).toISOString()}, taken ${Math.round((now - due) / 1000)} s late (no server was running then); missed ticks are not replayed`,
      });
      return;
    }
    const active = (await store.runs.listActive()).find((r) => r.trigger.scheduleId === id && !isTerminal(r.status));
    if (active !== undefined) {
      await record({
        outcome: "skipped",
        runId: null,
        reason: `the schedule's previous run ${active.id} is still ${active.status}`,
      });
      return;
    }
    const test = await store.tests.get(schedule.loadTestId);
    if (test === undefined) {
      await record({ outcome: "skipped", runId: null, reason: "its test is gone" });
      return;
    }
    const { sandbox } = this.deps;
    if (sandbox.mode === "on" && !sandbox.available && test.locustClusterId === null && test.agentPool === null) {
      await record({ outcome: "skipped", runId: null, reason: `runs cannot be sandboxed here (${sandbox.reason})` });
      return;
    }
    try {
      const run = await startNewRun(
        this.deps,
        test,
        {
          ...schedule.overrides,
          id: test.id,
          metadata: {},
          ...(schedule.thresholds !== null ? { thresholds: schedule.thresholds } : {}),
        },
        schedule.createdBy,
        { type: "schedule", scheduleId: id },
      );
      await record({ outcome: "started", runId: run.id, reason: null });
    } catch (error) {
      if (!(error instanceof AppError)) throw error;
      await record({ outcome: "skipped", runId: null, reason: `refused: ${error.message}` });
    }
  }
}
