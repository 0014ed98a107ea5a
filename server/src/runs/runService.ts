import {
  decideOutcome,
  abortReason,
  REQUEST_LOG_WINDOW,
  type AbortCause,
  type LoadChange,
  type LoadTestRun,
  type MetricSnapshot,
  type RequestSample,
  type RunMetricsSummary,
  type RunStatus,
} from "@loadmgr/shared";
import { jobId, type JobQueue } from "../jobs/queue.js";
import {
  requestLogChannel,
  requestLogWindow,
  runMetricsChannel,
  runStatusChannel,
  type LiveBus,
} from "../live/liveBus.js";
import type { Logger } from "../logger.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import type { PoolRunChanges, Store } from "../store/store.js";
import { AutoStopWatch } from "./autoStop.js";
import { abortedVerdict, outcomeOf } from "./outcome.js";
import { abortCause } from "./abortCheck.js";
import type { Redactor } from "../secrets/redact.js";

/** Who moved a run, for `updatedBy` when no person did. */
export const SERVER_ACTOR = "loadmgr";
export const LOCUST_ACTOR = "locust";
/** How long a request waits for the queue to take a job before it answers anyway (the sweep re-queues). */
const ENQUEUE_WAIT_MS = 2000;

export interface RunServiceDeps {
  store: Store;
  metricsStore: MetricsStore;
  live: LiveBus;
  queue: JobQueue;
  logger: Logger;
  now: () => number;
  /** What hides a run's secret values in what it reports (secrets/secretValues.ts). */
  redactorFor: (run: LoadTestRun) => Promise<Redactor>;
  /** Told of every move the store made (webhooks); a failure is logged, never the move's. */
  onMoved?: (run: LoadTestRun) => Promise<void>;
}

/**
 * The one writer of a run's status: it creates runs and moves them (start, Running, stop request,
 * end), computes the verdict of the transition that ends a run, and publishes what live subscribers
 * watch, after the store has it. Routers, ingest and the lifecycle's jobs call it; nothing else
 * writes a run's status. A publish that fails is logged, never failed back to the caller: the store
 * is the record, and subscribers catch up from it.
 */
export class RunService {
  private readonly autoStop = new AutoStopWatch();

  constructor(private readonly deps: RunServiceDeps) {}

  /** Stores a Pending run (numbered, and named if it came without a name) and queues its start. Undefined when its test is gone. */
  async create(run: LoadTestRun): Promise<LoadTestRun | undefined> {
    const stored = await this.deps.store.runs.create(run);
    if (stored === undefined) return undefined;
    this.deps.logger.info(
      { runId: run.id, loadTestId: run.loadTestId, revisionId: run.scriptRevisionId, number: stored.number },
      "run created",
    );
    this.publishStatus(stored);
    await this.enqueue("run.start", run.id, "start");
    return stored;
  }

  /**
   * Records that the runner launched Locust for a Pending run (it turns Running when Locust reports
   * its test start). Undefined when the run is no longer Pending, or was launched already.
   */
  async launched(runId: string): Promise<LoadTestRun | undefined> {
    const now = this.deps.now();
    const run = await this.deps.store.runs.markLaunched(runId, {
      launchedAt: now,
      updatedAt: now,
      updatedBy: SERVER_ACTOR,
    });
    if (run !== undefined) this.publishStatus(run);
    return run;
  }

  /**
   * Records where a pool run's processes go, or why it waits, or what it lost (never its status);
   * with `unlaunched`, only while it is Pending and not launched (placing it). Its agents hear of it
   * through the status channel.
   */
  async updatePlacement(
    runId: string,
    changes: Omit<PoolRunChanges, "updatedAt" | "updatedBy">,
    unlaunched = false,
  ): Promise<LoadTestRun | undefined> {
    const run = await this.deps.store.runs.updatePoolRun(
      runId,
      { ...changes, updatedAt: this.deps.now(), updatedBy: SERVER_ACTOR },
      unlaunched,
    );
    if (run !== undefined) this.publishStatus(run);
    return run;
  }

  /** Places a pool run (Store.runs.placePoolRun), and publishes it: its agents hear of it through the status channel. */
  async place(
    runId: string,
    poolId: string,
    decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
  ): Promise<LoadTestRun | undefined> {
    const run = await this.deps.store.runs.placePoolRun(runId, poolId, decide);
    if (run !== undefined) this.publishStatus(run);
    return run;
  }

  /**
   * Locust reports load flowing (its test start, or failing that a report): a Pending run turns
   * Running, timed from Locust's clock. Answers the run's status after the call.
   */
  async markRunning(run: LoadTestRun, startedAt: number): Promise<RunStatus> {
    if (run.status !== "Pending") return run.status;
    const moved = await this.move(run, "Running", { startedAt, updatedAt: this.deps.now(), updatedBy: LOCUST_ACTOR });
    if (moved !== undefined) {
      this.deps.logger.info({ runId: run.id }, "run is running: Locust reported its test start");
      return moved.status;
    }
    return (await this.deps.store.runs.get(run.id))?.status ?? run.status;
  }

  /**
   * Someone asked for the run to stop. A run whose Locust was never launched ends Stopped at once;
   * otherwise it turns Stopping and a stop job winds Locust down. Undefined when the run had
   * already ended or moved meanwhile.
   */
  async requestStop(run: LoadTestRun, actor: string): Promise<LoadTestRun | undefined> {
    const now = this.deps.now();
    if (run.status === "Pending" && run.launchedAt === null) {
      return this.end(run, "Stopped", null, actor);
    }
    const stopping = await this.move(run, "Stopping", { updatedAt: now, updatedBy: actor });
    if (stopping === undefined) return undefined;
    this.deps.logger.info({ runId: run.id, by: actor }, "run stop requested");
    await this.enqueue("run.stop", run.id, "stop");
    return stopping;
  }

  /**
   * Ends the run as `to`, with its results and verdict. A run the server stopped early (auto-stop:
   * Stopping with a failureReason) ends Failed with that reason, however Locust then ended. Undefined
   * when it had already ended (or cannot end so).
   */
  async end(
    run: LoadTestRun,
    asked: Extract<RunStatus, "Finished" | "Stopped" | "Failed">,
    reason: string | null,
    actor: string,
  ): Promise<LoadTestRun | undefined> {
    const stoppedEarly = run.status === "Stopping" && run.failureReason !== null;
    const to = stoppedEarly ? "Failed" : asked;
    const failureReason = stoppedEarly
      ? run.failureReason
      : reason === null
        ? null
        : (await this.deps.redactorFor(run)).text(reason);
    this.autoStop.forget(run.id);
    const now = this.deps.now();
    const { results, verdict } = await outcomeOf(this.deps, run, now);
    const ended = await this.move(run, to, {
      finishedAt: now,
      updatedAt: now,
      updatedBy: actor,
      results,
      verdict,
      // The run's one judgement, decided here once: every page, list, report, hook and the CLI show it.
      outcome: decideOutcome({ status: to, results, verdict }),
      ...(failureReason !== null ? { failureReason } : {}),
    });
    if (ended !== undefined) {
      const fields = { runId: run.id, status: to, by: actor, failureReason };
      if (to === "Failed") this.deps.logger.warn(fields, "run ended");
      else this.deps.logger.info(fields, "run ended");
    }
    return ended;
  }

  /** A Running run's new load, stored as an event of it; its master takes it with its next snapshot's answer. */
  async changeLoad(run: LoadTestRun, change: LoadChange): Promise<LoadTestRun | undefined> {
    const changed = await this.deps.store.runs.addLoadChange(run.id, change);
    if (changed === undefined) return undefined;
    this.deps.logger.info(
      { runId: run.id, users: change.targetUsers, spawnRate: change.spawnRate, by: change.by },
      "run load changed",
    );
    this.publishStatus(changed);
    return changed;
  }

  /**
   * Stores one snapshot (once per seq) and publishes it; the request samples it carried go to the
   * live log's recent window and fan-out only (they are not stored).
   */
  async recordSnapshot(
    run: LoadTestRun,
    snapshot: MetricSnapshot,
    summary: RunMetricsSummary,
    samples: RequestSample[],
  ): Promise<"added" | "duplicate"> {
    // Nothing of a secret's value is stored or sent on: endpoint names, errors, samples alike.
    const redactor = await this.deps.redactorFor(run);
    redactor.deep(snapshot);
    redactor.deep(samples);
    const outcome = await this.deps.metricsStore.addMetricSnapshot(snapshot);
    // A resent snapshot sets it too (the store keeps the latest): the first call may still be on its way
    // when the resend is answered and the generator goes on to its test-stop, which must find it set.
    await this.deps.store.runs.setLastMetrics(snapshot.runId, summary);
    if (outcome === "added") {
      if (run.status === "Running") {
        const totals = { at: snapshot.timestamp, requests: snapshot.totalRequests, failures: snapshot.totalFailures };
        const breach = this.autoStop.observe(run.id, run.autoStop, totals, this.deps.now());
        const cause = breach === null ? await abortCause(this.deps.metricsStore, run, snapshot) : null;
        if (breach !== null) await this.stopEarly(run, breach, null);
        else if (cause !== null) await this.stopEarly(run, abortReason(cause), cause);
      }
      const { live } = this.deps;
      this.publish("snapshot", snapshot.runId, () => live.publish(runMetricsChannel(snapshot.runId), snapshot));
      if (samples.length > 0) {
        this.publish("request samples", snapshot.runId, async () => {
          await live.remember(requestLogWindow(snapshot.runId), samples, REQUEST_LOG_WINDOW);
          await live.publish(requestLogChannel(snapshot.runId), samples);
        });
      }
    }
    return outcome;
  }

  /**
   * The server stops a run that broke its auto-stop rule or an aborting threshold: Stopping with the
   * reason, which makes its end Failed (see end()), and a stop job winds Locust down as for any stop.
   * An aborting threshold also leaves a verdict saying so, which the end's verdict keeps.
   */
  private async stopEarly(run: LoadTestRun, reason: string, cause: AbortCause | null): Promise<void> {
    const now = this.deps.now();
    const stopping = await this.move(run, "Stopping", {
      failureReason: reason,
      updatedAt: now,
      updatedBy: SERVER_ACTOR,
      ...(cause !== null ? { verdict: abortedVerdict(cause, now) } : {}),
    });
    if (stopping === undefined) return; // it ended or was stopped meanwhile
    this.autoStop.forget(run.id);
    this.deps.logger.warn(
      { runId: run.id, reason },
      cause !== null ? "run aborted by a threshold" : "run auto-stopped",
    );
    await this.enqueue("run.stop", run.id, "stop");
  }

  /**
   * Queues a job for a run that the store already holds, waiting at most ENQUEUE_WAIT_MS: with the
   * queue down (Redis), the request still answers, and the lifecycle's sweep queues the start again
   * or asks for the stop again from what the store says.
   */
  private async enqueue(name: "run.start" | "run.stop", runId: string, prefix: string): Promise<void> {
    const added = this.deps.queue.add(name, { runId }, { jobId: jobId(prefix, runId) }).then(
      () => true,
      (error: unknown) => {
        this.deps.logger.error({ err: error, runId }, `could not queue ${name}; the sweep will`);
        return true;
      },
    );
    let timer: NodeJS.Timeout | undefined;
    const waited = new Promise<false>((resolve) => (timer = setTimeout(() => resolve(false), ENQUEUE_WAIT_MS)));
    const done = await Promise.race([added, waited]);
    clearTimeout(timer);
    if (!done)
      this.deps.logger.warn({ runId, job: name }, "the queue is slow to answer; the sweep will queue it again");
  }

  private async move(
    run: LoadTestRun,
    to: RunStatus,
    changes: Parameters<Store["runs"]["transition"]>[2],
  ): Promise<LoadTestRun | undefined> {
    const moved = await this.deps.store.runs.transition(run.id, to, changes);
    if (moved !== undefined) {
      this.publishStatus(moved);
      const { onMoved } = this.deps;
      if (onMoved !== undefined) this.publish("the move to webhooks", moved.id, () => onMoved(moved));
    }
    return moved;
  }

  private publishStatus(run: LoadTestRun): void {
    const { live } = this.deps;
    this.publish("run status", run.id, () => live.publish(runStatusChannel, run));
  }

  private publish(what: string, runId: string, send: () => Promise<void>): void {
    send().catch((error: unknown) => this.deps.logger.error({ err: error, runId }, `could not publish ${what}`));
  }
}
