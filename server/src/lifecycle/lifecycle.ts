import { isTerminal, type LoadTestRun } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { jobId, type JobHandlers, type JobQueue } from "../jobs/queue.js";
import { remainingWorkers, type PoolRunner } from "../agents/poolRunner.js";
import { failureText, type RunnerState } from "../runners/runner.js";
import type { Store } from "../store/store.js";
import type { LoopStalls } from "../runs/loopStalls.js";
import { SERVER_ACTOR, type RunService } from "../runs/runService.js";
import { within } from "../within.js";

/** With no sweep for this long (the queue's scheduler is gone: Redis lost it, or is down), this process sweeps itself. */
const SWEEP_WATCHDOG_MS = 10_000;

export interface LifecycleDeps {
  config: Config;
  store: Store;
  runs: RunService;
  logger: Logger;
  queue: JobQueue;
  poolRunner: PoolRunner;
  /** The server's own stalls, which the silence rule discounts. */
  stalls: LoopStalls;
  now: () => number;
}

/**
 * Drives runs through their life on the server's side: the start job (placing the run on its pool;
 * the servers' own hosts are a pool too), the guard job, the sweep that notices dead, hung or silent
 * generators, and reconciliation after a restart. It decides; the RunService writes, and the agents
 * act on what is written (a placement, a Stopping status, an end). Every method is idempotent,
 * because jobs are delivered at least once.
 */
export class RunLifecycle {
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;
  private lastSweepAt = 0;
  private sweeping = false;
  /**
   * Since when this process could hear its runs and agents: when it started (a server that was down
   * heard nobody, however long it was down; agents back off up to 10 s before calling again), or
   * when the store came back after it could not be read. The silence rules count from here at the
   * earliest.
   */
  private storeBackAt: number;
  private storeDown = false;
  /** A watchdog check in flight (it may wait up to a second on the queue). */
  private watching = false;

  constructor(private readonly deps: LifecycleDeps) {
    this.storeBackAt = deps.now();
  }

  /** The run jobs' handlers (boot.ts routes each job name to its own). */
  readonly handlers: Pick<JobHandlers, "run.start" | "run.stop" | "run.guard" | "runs.sweep"> = {
    "run.start": async ({ data }) => {
      if (typeof data.runId === "string") await this.start(data.runId);
    },
    // The Stopping status, already stored, is what the master's agent acts on.
    "run.stop": () => Promise.resolve(),
    "run.guard": async ({ data }) => {
      if (typeof data.runId === "string") await this.check(data.runId);
    },
    "runs.sweep": () => this.sweep(),
  };

  /** Stops reacting to exits (the server is shutting down; the next start reconciles). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  /**
   * Places a run on its pool's agents (they take it from there when they next call in), or records
   * what it waits for; the sweep tries again, oldest first, until it fits or has waited too long.
   */
  async start(runId: string): Promise<void> {
    const { store, runs, logger, config } = this.deps;
    const run = await store.runs.get(runId);
    if (run === undefined || run.status !== "Pending" || run.launchedAt !== null) return;
    const waited = this.deps.now() - run.createdAt;
    if (waited > config.agents.queueTimeoutSec * 1000) {
      await this.finish(
        run,
        "Failed",
        `waited ${Math.round(waited / 1000)} s for ${run.agentPool === null ? "room on the server's host" : "the agent pool"}, more than agents.queueTimeoutSec (${config.agents.queueTimeoutSec}): ${run.waitingReason ?? "no capacity"}`,
      );
      return;
    }
    const { outcome, placed } = await this.deps.poolRunner.place(run, (poolId, decide) =>
      runs.place(runId, poolId, decide),
    );
    if ("failure" in outcome) {
      await this.finish(run, "Failed", outcome.failure);
      return;
    }
    if (!outcome.placed) {
      if (outcome.waitingReason !== run.waitingReason) {
        await runs.updatePlacement(run.id, { waitingReason: outcome.waitingReason }, true);
        logger.info({ runId, reason: outcome.waitingReason }, "run waits for agents");
      }
      return;
    }
    if (placed === undefined) return; // it was stopped, or placed by another delivery of its job, meanwhile
    logger.info(
      {
        runId,
        pool: run.agentPool,
        workers: outcome.workers,
        placement: outcome.placement.map((e) => `${e.agentName}:${e.role}×${e.processes}`).join(" "),
      },
      "run placed on agents",
    );
    await this.deps.queue.add(
      "run.guard",
      { runId },
      { jobId: jobId("guard", runId), delayMs: this.deadline(placed) - this.deps.now() },
    );
  }

  /**
   * A pool run's workers on an agent that went silent, or whose processes ended, are written off
   * with a warning; the run goes on with the rest (Locust rebalances its users over them), unless
   * fewer than its minWorkers remain, or none.
   */
  private async checkWorkers(run: LoadTestRun): Promise<boolean> {
    const lost = await this.deps.poolRunner.lostWorkers(run, this.storeBackAt);
    if (lost.length === 0) return false;
    const at = this.deps.now();
    const placement = run.placement.map((e) => (lost.some((l) => l.entry === e) ? { ...e, lostAt: at } : e));
    const remaining = remainingWorkers({ placement });
    const warnings = [
      ...run.warnings,
      ...lost.map(({ entry, why }) => ({
        at,
        message: `lost ${entry.processes} worker process${entry.processes === 1 ? "" : "es"}: ${why}; ${remaining} remain`,
      })),
    ];
    const updated = await this.deps.runs.updatePlacement(run.id, { placement, warnings });
    for (const { entry, why } of lost) {
      this.deps.logger.warn({ runId: run.id, agent: entry.agentName, why, remaining }, "run lost workers");
    }
    if (updated === undefined) return true;
    const least = run.minWorkers ?? 1;
    if (remaining < least) {
      await this.finish(
        updated,
        "Failed",
        remaining === 0
          ? `every worker process was lost (${lost.map((l) => l.why).join("; ")})`
          : `only ${remaining} worker process${remaining === 1 ? "" : "es"} remain, fewer than minWorkers (${least}): ${lost.map((l) => l.why).join("; ")}`,
      );
    }
    return true;
  }

  /**
   * Every active run, checked against the store (the source of truth, not the queue); also what a
   * restarted server does first. A sweep that cannot read the store marks an outage: runs are not
   * judged silent for the time the server could not store what they sent.
   */
  async sweep(): Promise<void> {
    if (this.sweeping) return;
    this.sweeping = true;
    this.lastSweepAt = this.deps.now();
    try {
      let active: LoadTestRun[];
      try {
        active = await this.deps.store.runs.listActive();
      } catch (error) {
        if (!this.storeDown) this.deps.logger.error({ err: error }, "sweep: the store cannot be read");
        this.storeDown = true;
        throw error;
      }
      if (this.storeDown) {
        this.storeDown = false;
        this.storeBackAt = this.deps.now();
        this.deps.logger.warn({ active: active.length }, "sweep: the store is back; silence is counted from now");
      }
      for (const run of active) {
        await this.checkRun(run).catch((error: unknown) => this.logError(run.id, error));
      }
    } finally {
      this.sweeping = false;
    }
  }

  /**
   * Sweeps from this process when no sweep job has come for a while and the queue's schedule is not
   * ticking for another process either: it lives in Redis, which may be down (then it does not answer
   * within a second) or may have lost it (restarted without persistence).
   */
  startWatchdog(): void {
    this.lastSweepAt = this.deps.now();
    const timer = setInterval(() => {
      if (this.deps.now() - this.lastSweepAt < SWEEP_WATCHDOG_MS || this.watching) return;
      this.watching = true;
      void within(this.deps.queue.ticking("runs.sweep"), 1000)
        .then(async (ticking) => {
          if (ticking === true) {
            // Another process of this deployment takes the ticks: nothing is wrong.
            this.lastSweepAt = this.deps.now();
            return;
          }
          this.deps.logger.warn({ sinceMs: this.deps.now() - this.lastSweepAt }, "no sweep job lately: sweeping here");
          await this.sweep();
        })
        .catch((error: unknown) => this.deps.logger.error({ err: error }, "watchdog sweep failed"))
        .finally(() => {
          this.watching = false;
        });
    }, SWEEP_WATCHDOG_MS / 2);
    timer.unref();
    this.timers.add(timer);
  }

  /** On start: runs left Pending get their start job again (the in-process queue forgets), then a sweep. */
  async reconcile(): Promise<void> {
    const active = await this.deps.store.runs.listActive();
    for (const run of active) {
      if (run.status === "Pending" && run.launchedAt === null)
        await this.deps.queue.add("run.start", { runId: run.id }, { jobId: jobId("start", run.id) });
    }
    this.deps.logger.info({ active: active.length }, "reconciling active runs");
    await this.sweep();
  }

  async check(runId: string): Promise<void> {
    const run = await this.deps.store.runs.get(runId);
    if (run !== undefined && !isTerminal(run.status)) await this.checkRun(run);
  }

  private async checkRun(run: LoadTestRun): Promise<void> {
    const now = this.deps.now();
    if (run.locustClusterId !== null) {
      await this.finish(run, "Failed", "push-mode Locust clusters are retired: put the test on an agent pool");
      return;
    }
    if (run.status === "Pending" && run.launchedAt === null) {
      await this.start(run.id);
      return;
    }
    const { poolRunner } = this.deps;
    const state = await poolRunner.inspect(run.id, this.storeBackAt);
    if (state.state === "unreachable") {
      // Its agent's silence window has passed already: the master is gone with its host.
      await this.finish(run, "Failed", `${state.error}; the run's other processes are stopped`);
      return;
    }
    if (state.state !== "running") {
      await this.settleGone(run, state);
      return;
    }
    if (run.status === "Running" && (await this.checkWorkers(run))) return;
    const { metricsIntervalSec, stopTimeoutSec, startTimeoutSec } = this.deps.config.runner;
    if (now > this.deadline(run)) {
      await this.finish(
        run,
        "Failed",
        `the server's guard stopped the run: it ran past its ${run.durationSec} s limit plus grace`,
      );
      return;
    }
    if (run.status === "Stopping" && now - run.updatedAt > stopTimeoutSec * 1000) {
      await this.finish(run, "Stopped", `Locust did not stop within ${stopTimeoutSec} s and was killed`);
      return;
    }
    if (run.status === "Pending") {
      // Its master waits for every worker before it starts: a worker agent lost now means it never will.
      const lost = await poolRunner.lostWorkers(run, this.storeBackAt);
      if (lost.length > 0) {
        await this.finish(
          run,
          "Failed",
          `the run could not start: ${lost.map((l) => `${l.why} (${l.entry.processes} of its workers)`).join("; ")}`,
        );
        return;
      }
      // Launched, and Locust has not reported its test start yet (imports, workers joining; slow on
      // a loaded host): it gets startTimeoutSec for that.
      const since = Math.max(run.launchedAt ?? run.createdAt, this.storeBackAt);
      if (now - since - this.deps.stalls.stalledSince(since) > startTimeoutSec * 1000) {
        await this.finish(
          run,
          "Failed",
          `Locust did not report its test start within ${startTimeoutSec} s of its launch; its processes were killed`,
        );
      }
      return;
    }
    const lastSeen = Math.max(run.startedAt ?? run.createdAt, run.lastMetrics?.timestamp ?? 0, this.storeBackAt);
    // Until its first snapshot, Locust may still be starting (imports, workers joining; slow on a loaded
    // host): it gets startTimeoutSec for that, then the silence rule holds.
    const reported = run.lastMetrics !== null;
    const silenceLimit = Math.max(3 * metricsIntervalSec * 1000 + 10_000, reported ? 0 : startTimeoutSec * 1000);
    // Time this server stood still does not count: pushes that arrived meanwhile were not yet read.
    if (run.status === "Running" && now - lastSeen - this.deps.stalls.stalledSince(lastSeen) > silenceLimit) {
      const silent = Math.round((now - lastSeen) / 1000);
      await this.finish(
        run,
        "Failed",
        reported
          ? `no metrics from Locust for ${silent} s; its processes were killed`
          : `no metrics from Locust in the ${silent} s since it started; its processes were killed`,
      );
    }
  }

  /** Locust is gone, and its final test-stop call did not settle the run. */
  private async settleGone(run: LoadTestRun, state: RunnerState): Promise<void> {
    if (run.status === "Stopping") {
      await this.finish(run, "Stopped", null);
      return;
    }
    if (state.state === "unknown") {
      await this.finish(run, "Failed", "the run's Locust processes are gone (not found on their host)");
      return;
    }
    if (state.state !== "exited") return;
    if (state.limit !== undefined) {
      await this.finish(run, "Failed", state.limit);
      return;
    }
    const ranFor = this.deps.now() - (run.startedAt ?? run.launchedAt ?? run.createdAt);
    const how =
      state.signal !== null
        ? `was killed (${state.signal})`
        : state.exitCode !== null
          ? `exited with code ${state.exitCode}`
          : "ended without recording an exit status";
    if (run.status === "Running" && state.signal === null && ranFor >= run.durationSec * 1000 - 1000) {
      // It ran its full duration and exited on its own (code 1 when requests failed); only its report
      // was missing. A run that never started did not: it fails, however long it took to die.
      await this.finish(run, "Finished", null);
      return;
    }
    // The cause on the first line (what lists and the run page show first), the log's end below it.
    const { cause, text } = failureText(state.logTail);
    await this.finish(
      run,
      "Failed",
      `Locust ${how} before the run ended${cause !== null ? `: ${cause}` : ""}${text ? `\n${text}` : ""}`,
    );
  }

  private async finish(
    run: LoadTestRun,
    to: "Finished" | "Stopped" | "Failed",
    failureReason: string | null,
  ): Promise<void> {
    // The run's end is what its agents act on: whatever of it still runs is stopped, then killed.
    await this.deps.runs.end(run, to, failureReason, SERVER_ACTOR);
  }

  /** When the guard steps in: the run's duration (capped at the test's maxDurationSec when created) plus grace. */
  private deadline(run: LoadTestRun): number {
    return (
      (run.startedAt ?? run.launchedAt ?? run.createdAt) +
      (run.durationSec + this.deps.config.runner.guardGraceSec) * 1000
    );
  }

  private logError(runId: string, error: unknown): void {
    this.deps.logger.error({ runId, err: error }, "run check failed");
  }
}
