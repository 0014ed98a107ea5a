import { isTerminal, type LoadTestRun } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import { jobId, type Job, type JobQueue } from "../jobs/queue.js";
import { remainingWorkers, type PoolRunner } from "../agents/poolRunner.js";
import { ClusterRunner } from "../runners/clusterRunner.js";
import { failureText, type Runner, type RunnerState } from "../runners/runner.js";
import type { Store } from "../store/store.js";
import type { SandboxStatus } from "../runners/sandbox.js";
import type { LoopStalls } from "./loopStalls.js";
import { SERVER_ACTOR, type RunService } from "./runService.js";
import type { RunTokens } from "./runTokens.js";
import { runContent } from "./runContent.js";
import type { SecretValues } from "../secrets/secretValues.js";

/** A Pending run whose start job has not run for this long is failed. */
const PENDING_LIMIT_MS = 120_000;
/** How long an agent may stay unreachable before its runs are failed. */
const UNREACHABLE_LIMIT_MS = 10_000;
/** After Locust exits, how long its final test-stop call has to arrive before the server decides. */
const EXIT_GRACE_MS = 1500;
/** A Pending run not launched this long after its creation (or its last requeue) gets its start job again. */
const REQUEUE_START_MS = 10_000;
/** A run Stopping this long is asked to stop again, once per process (its stop job may have been lost). */
const RESTOP_MS = 5000;
/** With no sweep for this long (the queue's scheduler is gone: Redis lost it, or is down), this process sweeps itself. */
const SWEEP_WATCHDOG_MS = 10_000;

export interface LifecycleDeps {
  config: Config;
  store: Store;
  runs: RunService;
  logger: Logger;
  queue: JobQueue;
  tokens: RunTokens;
  secrets: SecretValues;
  localRunner: Runner;
  poolRunner: PoolRunner;
  sandbox: SandboxStatus;
  /** The server's own stalls, which the silence rule discounts. */
  stalls: LoopStalls;
  ingestUrl: () => string;
  now: () => number;
}

/**
 * Drives runs through their life on the server's side: the start, stop and guard jobs, the sweep
 * that notices dead, hung or silent generators, and reconciliation after a restart. It decides;
 * the RunService writes. Every method is idempotent, because jobs are delivered at least once.
 */
export class RunLifecycle {
  private readonly clusters = new Map<string, ClusterRunner>();
  private readonly unreachableSince = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly requeuedAt = new Map<string, number>();
  private readonly restopped = new Set<string>();
  private closed = false;
  private lastSweepAt = 0;
  private sweeping = false;
  /** When the store came back after it could not be read: the silence rule does not count the time before. */
  private storeBackAt = 0;
  private storeDown = false;

  constructor(private readonly deps: LifecycleDeps) {
    for (const cluster of deps.config.locustClusters) {
      this.clusters.set(cluster.id, new ClusterRunner(cluster, deps.logger));
    }
  }

  /** The queue's processor. */
  readonly process = async (job: Job): Promise<void> => {
    const runId = job.data.runId;
    switch (job.name) {
      case "run.start":
        if (runId !== undefined) await this.start(runId);
        return;
      case "run.stop":
        if (runId !== undefined) await this.stop(runId);
        return;
      case "run.guard":
        if (runId !== undefined) await this.check(runId);
        return;
      case "runs.sweep":
        await this.sweep();
        return;
    }
  };

  /** Called by the local runner when a Locust supervisor it started exits. */
  readonly onLocalExit = (runId: string): void => {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      void this.check(runId).catch((error: unknown) => this.logError(runId, error));
    }, EXIT_GRACE_MS);
    this.timers.add(timer);
  };

  /** Stops reacting to exits (the server is shutting down; the next start reconciles). */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }

  async start(runId: string): Promise<void> {
    const { store, logger } = this.deps;
    const run = await store.getRun(runId);
    if (run === undefined || run.status !== "Pending" || run.launchedAt !== null) return;
    if (run.agentPool !== null) {
      await this.startOnPool(run.id);
      return;
    }
    const runner = this.runnerFor(run);
    if (runner === undefined) {
      await this.finish(run, "Failed", `Locust cluster "${run.locustClusterId ?? ""}" is no longer configured`);
      return;
    }
    const prepared = await runContent(store, this.deps.secrets, run);
    if (!prepared.ok) {
      await this.finish(run, "Failed", prepared.reason);
      return;
    }
    const { runner: runnerConfig } = this.deps.config;
    try {
      await runner.start({
        runId,
        ...prepared.content,
        users: run.targetUsers,
        spawnRate: run.spawnRate,
        durationSeconds: run.durationSeconds,
        ingestUrl: this.deps.ingestUrl(),
        ingestToken: this.deps.tokens.issue(runId),
        intervalSec: runnerConfig.metricsIntervalSec,
        // An agent host sandboxes its runs itself (it fails closed there); here, only where it can.
        sandbox: runner === this.deps.localRunner ? this.deps.sandbox.available : this.deps.sandbox.mode === "on",
        limits: runnerConfig.limits,
      });
    } catch (error) {
      await this.finish(
        run,
        "Failed",
        `could not start Locust: ${error instanceof Error ? error.message : String(error)}`,
      );
      return;
    }
    // Pending until Locust reports its test start (ingest marks it Running then).
    const launched = await this.deps.runs.launched(runId);
    if (launched === undefined) {
      // Another delivery of this job won the race (the runner started Locust once): nothing to do.
      // A run stopped while it was starting: wind the processes down again.
      const current = await store.getRun(runId);
      if (current === undefined || isTerminal(current.status)) await runner.stop(runId);
      return;
    }
    logger.info({ runId, revisionId: run.scriptRevisionId, cluster: run.locustClusterId }, "Locust launched");
    await this.deps.queue.add(
      "run.guard",
      { runId },
      { jobId: jobId("guard", runId), delayMs: this.deadline(launched) - this.deps.now() },
    );
  }

  /**
   * Places a pool run on its pool's agents (they take it from there when they next call in), or
   * records what it waits for; the sweep tries again, oldest first, until it fits or has waited too long.
   */
  async startOnPool(runId: string): Promise<void> {
    const { store, runs, logger, config } = this.deps;
    const run = await store.getRun(runId);
    if (run === undefined || run.status !== "Pending" || run.launchedAt !== null) return;
    const waited = this.deps.now() - run.createdAt;
    if (waited > config.agents.queueTimeoutSec * 1000) {
      await this.finish(
        run,
        "Failed",
        `waited ${Math.round(waited / 1000)} s for the agent pool, more than agents.queueTimeoutSec (${config.agents.queueTimeoutSec}): ${run.waitingReason ?? "no capacity"}`,
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
    const lost = await this.deps.poolRunner.lostWorkers(run);
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

  async stop(runId: string): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (run?.status !== "Stopping") return;
    await this.runnerFor(run)?.stop(runId);
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
        active = await this.deps.store.listActiveRuns();
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
   * Sweeps from this process when no sweep job has come for a while: the queue's scheduler lives in
   * Redis, which may be down or may have lost it (restarted without persistence).
   */
  startWatchdog(): void {
    this.lastSweepAt = this.deps.now();
    const timer = setInterval(() => {
      if (this.deps.now() - this.lastSweepAt < SWEEP_WATCHDOG_MS) return;
      this.deps.logger.warn({ sinceMs: this.deps.now() - this.lastSweepAt }, "no sweep job lately: sweeping here");
      this.sweep().catch((error: unknown) => this.deps.logger.error({ err: error }, "watchdog sweep failed"));
    }, SWEEP_WATCHDOG_MS / 2);
    timer.unref();
    this.timers.add(timer);
  }

  /** On start: runs left Pending get their start job again (the in-process queue forgets), then a sweep. */
  async reconcile(): Promise<void> {
    const active = await this.deps.store.listActiveRuns();
    for (const run of active) {
      if (run.status === "Pending" && run.launchedAt === null)
        await this.deps.queue.add("run.start", { runId: run.id }, { jobId: jobId("start", run.id) });
    }
    this.deps.logger.info({ active: active.length }, "reconciling active runs");
    await this.sweep();
  }

  async check(runId: string): Promise<void> {
    const run = await this.deps.store.getRun(runId);
    if (run !== undefined && !isTerminal(run.status)) await this.checkRun(run);
  }

  private async checkRun(run: LoadTestRun): Promise<void> {
    const now = this.deps.now();
    if (run.status === "Pending" && run.launchedAt === null && run.agentPool !== null) {
      await this.startOnPool(run.id);
      return;
    }
    if (run.status === "Pending" && run.launchedAt === null) {
      if (now - run.createdAt > PENDING_LIMIT_MS) {
        await this.finish(run, "Failed", "the run was never started (no job worker?)");
      } else if (now - Math.max(run.createdAt, this.requeuedAt.get(run.id) ?? 0) > REQUEUE_START_MS) {
        // Its start job may be lost (a Redis outage or restart): queue it again; the job id keeps one.
        this.requeuedAt.set(run.id, now);
        this.enqueue("run.start", run.id, "start");
      }
      return;
    }
    const runner = this.runnerFor(run);
    if (runner === undefined) {
      await this.finish(run, "Failed", `Locust cluster "${run.locustClusterId ?? ""}" is no longer configured`);
      return;
    }
    const state = await runner.inspect(run.id);
    if (state.state === "unreachable" && run.agentPool !== null) {
      // Its agent's silence window has passed already: the master is gone with its host.
      await this.finish(run, "Failed", `${state.error}; the run's other processes are stopped`);
      return;
    }
    if (state.state === "unreachable") {
      const since = this.unreachableSince.get(run.id) ?? now;
      this.unreachableSince.set(run.id, since);
      if (now - since >= UNREACHABLE_LIMIT_MS) {
        await this.finish(
          run,
          "Failed",
          `the Locust agent has been unreachable for ${Math.round((now - since) / 1000)} s: ${state.error}`,
        );
      }
      return;
    }
    this.unreachableSince.delete(run.id);
    if (state.state !== "running") {
      // Whatever of the run is left (workers of a killed master, say) goes too.
      await runner.kill(run.id);
      await this.settleGone(run, state);
      return;
    }
    if (run.status === "Running" && run.agentPool !== null && (await this.checkWorkers(run))) return;
    const { metricsIntervalSec, stopTimeoutSec, startTimeoutSec } = this.deps.config.runner;
    if (now > this.deadline(run)) {
      await runner.kill(run.id);
      await this.finish(
        run,
        "Failed",
        `the server's guard stopped the run: it ran past its ${run.durationSeconds} s limit plus grace`,
      );
      return;
    }
    if (run.status === "Stopping" && now - run.updatedAt > RESTOP_MS && !this.restopped.has(run.id)) {
      // Its stop job may be lost; stopping is idempotent (a local run's marker, an agent's state).
      this.restopped.add(run.id);
      await runner.stop(run.id);
    }
    if (run.status === "Stopping" && now - run.updatedAt > stopTimeoutSec * 1000) {
      await runner.kill(run.id);
      await this.finish(run, "Stopped", `Locust did not stop within ${stopTimeoutSec} s and was killed`);
      return;
    }
    if (run.status === "Pending" && run.agentPool !== null) {
      // Its master waits for every worker before it starts: a worker agent lost now means it never will.
      const lost = await this.deps.poolRunner.lostWorkers(run);
      if (lost.length > 0) {
        await this.finish(
          run,
          "Failed",
          `the run could not start: ${lost.map((l) => `${l.why} (${l.entry.processes} of its workers)`).join("; ")}`,
        );
        return;
      }
    }
    if (run.status === "Pending") {
      // Launched, and Locust has not reported its test start yet (imports, workers joining; slow on
      // a loaded host): it gets startTimeoutSec for that.
      const since = Math.max(run.launchedAt ?? run.createdAt, this.storeBackAt);
      if (now - since - this.deps.stalls.stalledSince(since) > startTimeoutSec * 1000) {
        await runner.kill(run.id);
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
      await runner.kill(run.id);
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
    if (state.signal === null && ranFor >= run.durationSeconds * 1000 - 1000) {
      // It ran its full duration and exited on its own; only its report was missing.
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
    await this.deps.runs.end(run, to, failureReason, SERVER_ACTOR);
    this.requeuedAt.delete(run.id);
    this.restopped.delete(run.id);
  }

  /** When the guard steps in: the run's duration (capped at the test's maxDurationSec when created) plus grace. */
  private deadline(run: LoadTestRun): number {
    return (
      (run.startedAt ?? run.launchedAt ?? run.createdAt) +
      (run.durationSeconds + this.deps.config.runner.guardGraceSec) * 1000
    );
  }

  /** Queues a job without waiting on the queue (it may be down); the next sweep tries again. */
  private enqueue(name: "run.start", runId: string, prefix: string): void {
    this.deps.queue
      .add(name, { runId }, { jobId: jobId(prefix, runId) })
      .catch((error: unknown) => this.deps.logger.error({ err: error, runId }, `could not queue ${name}`));
  }

  private runnerFor(run: LoadTestRun): Runner | undefined {
    if (run.agentPool !== null) return this.deps.poolRunner;
    return run.locustClusterId === null ? this.deps.localRunner : this.clusters.get(run.locustClusterId);
  }

  private logError(runId: string, error: unknown): void {
    this.deps.logger.error({ runId, err: error }, "run check failed");
  }
}
