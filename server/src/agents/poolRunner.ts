import { cpus } from "node:os";
import { LOCAL_POOL_ID, type LoadTestRun, type PlacementEntry } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { RunnerState } from "../runners/runner.js";
import type { AgentRecord, PoolRunChanges, Store } from "../store/store.js";
import { SERVER_ACTOR } from "../runs/runService.js";
import { agentSilenceMs, heardUntil } from "./agentHub.js";
import { place, usedSlots } from "./placement.js";

export type PlaceOutcome =
  | { placed: true; placement: PlacementEntry[]; workers: number }
  | { placed: false; waitingReason: string }
  | { placed: false; failure: string };

/** A worker entry that went, and why. */
export interface LostWorkers {
  entry: PlacementEntry;
  why: string;
}

/** The pool a run goes to: its test's, or the local pool (the servers' own hosts). */
export function poolOf(run: Pick<LoadTestRun, "agentPool">): string {
  return run.agentPool ?? LOCAL_POOL_ID;
}

/**
 * Where runs go and how their processes are doing, as the lifecycle sees them: every run, on the
 * servers' own hosts (the local pool) or on another pool, goes this one way. Nothing here calls an
 * agent: agents call in (AgentHub), and what they last reported is in the store. Placing writes the
 * run's placement, the hub hands it to the agents; a stop is the run's Stopping status, a kill its
 * end (an agent kills whatever it holds of a run that is no longer active).
 */
export class PoolRunner {
  private readonly silenceMs: number;

  constructor(
    private readonly deps: {
      store: Store;
      config: Config;
      now: () => number;
      /** Time this server could not hear anyone (its own stalls, a lack of file handles): not held against agents. */
      stalledSince?: (since: number) => number;
    },
  ) {
    this.silenceMs = agentSilenceMs(deps.config);
  }

  /** How long an agent has not been heard from, less the time this server was in no state to hear it. */
  silentFor(lastSeenAt: number): number {
    return this.deps.now() - lastSeenAt - (this.deps.stalledSince?.(lastSeenAt) ?? 0);
  }

  /**
   * The run's master, as its agent last reported it. An agent's silence counts from `notBefore` at the
   * earliest (when the server's store came back: its calls could not be recorded before).
   */
  async inspect(runId: string, notBefore = 0): Promise<RunnerState> {
    const { store, now } = this.deps;
    const run = await store.runs.get(runId);
    const master = run?.placement.find((e) => e.role === "master");
    if (run === undefined || master === undefined) return { state: "unknown" };
    const agent = await store.pools.getAgent(master.agentId);
    if (agent === undefined) return { state: "unknown" };
    // (Its call is held up to its wait, and counts as heard until then; the run's placement answers it at once.)
    const silent = this.silentFor(Math.max(heardUntil(agent), notBefore, run.launchedAt ?? 0));
    if (silent >= this.silenceMs) {
      return {
        state: "unreachable",
        error: `agent ${agent.name}, which holds the run's master, has not called in for ${quietFor(agent, silent)} s`,
      };
    }
    const report = agent.runs.find((r) => r.runId === runId && r.role === "master");
    if (report?.endedWithAgent !== undefined) return { state: "unreachable", error: report.endedWithAgent };
    if (report === undefined) {
      // Placed, and its agent has not taken it yet (it calls in every few seconds).
      return now() - (run.launchedAt ?? run.createdAt) < this.silenceMs ? { state: "running" } : { state: "unknown" };
    }
    if (report.state === "running") return { state: "running" };
    return {
      state: "exited",
      exitCode: report.exitCode ?? null,
      signal: report.signal ?? null,
      logTail: report.logTail ?? "",
      ...(report.limit !== undefined ? { limit: report.limit } : {}),
    };
  }

  /**
   * Where the run goes now, or why it waits: connected agents of its pool with its labels, by free
   * slots; runs of a pool start in the order they were created. `place` writes the placement, one
   * placement of the pool at a time (Store.runs.placePoolRun), so two server processes never count the
   * same free slot twice. Answers what was decided, and the placed run when it was written.
   */
  async place(
    run: LoadTestRun,
    write: (
      poolId: string,
      decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
    ) => Promise<LoadTestRun | undefined>,
  ): Promise<{ outcome: PlaceOutcome; placed: LoadTestRun | undefined }> {
    const { store, config, now } = this.deps;
    const pool = await store.pools.get(poolOf(run));
    if (pool === undefined) {
      return {
        outcome: { placed: false, failure: `agent pool ${run.agentPool ?? ""} no longer exists` },
        placed: undefined,
      };
    }
    const agents = (await store.pools.listAgents([pool.id])).filter(
      (a) => this.silentFor(heardUntil(a)) < this.silenceMs,
    );
    let outcome: PlaceOutcome = { placed: false, waitingReason: `waiting for pool ${pool.name}` };
    const local = pool.id === LOCAL_POOL_ID;
    // On the servers' own hosts a run keeps to one host, with the workers runner.local.workers says.
    const configured = config.runner.local.workers ?? cpus().length;
    const request = local ? { ...run, workers: run.workers ?? (configured > 1 ? configured : 0) } : run;
    const placed = await write(pool.id, (poolRuns) => {
      outcome = decide(request, pool.name, agents, poolRuns, config.agents.maxWorkersPerRun, local);
      return outcome.placed
        ? {
            placement: outcome.placement,
            workers: outcome.workers,
            waitingReason: null,
            launchedAt: now(),
            updatedAt: now(),
            updatedBy: SERVER_ACTOR,
          }
        : undefined;
    });
    return { outcome, placed };
  }

  /** The run's worker entries whose agent went silent (since `notBefore`) or whose processes were killed. */
  async lostWorkers(run: LoadTestRun, notBefore = 0): Promise<LostWorkers[]> {
    const entries = run.placement.filter((e) => e.role === "worker" && e.lostAt === null);
    if (entries.length === 0) return [];
    const agents = new Map<string, AgentRecord>();
    for (const entry of entries) {
      const agent = await this.deps.store.pools.getAgent(entry.agentId);
      if (agent !== undefined) agents.set(agent.id, agent);
    }
    const lost: LostWorkers[] = [];
    for (const entry of entries) {
      const agent = agents.get(entry.agentId);
      const silent =
        agent === undefined ? Infinity : this.silentFor(Math.max(heardUntil(agent), notBefore, run.launchedAt ?? 0));
      const report = agent?.runs.find((r) => r.runId === run.id && r.role === "worker");
      if (silent >= this.silenceMs) {
        lost.push({ entry, why: `agent ${entry.agentName} has not called in for ${quietFor(agent, silent)} s` });
      } else if (report?.endedWithAgent !== undefined) {
        lost.push({ entry, why: report.endedWithAgent });
      } else if (report?.state === "exited" && report.signal) {
        // Killed (the OOM killer, a person): a loss. Workers that exit on their own do so when their
        // master tells them to, as the run ends (with code 1 when requests failed): not a loss.
        lost.push({ entry, why: `the worker processes on agent ${entry.agentName} were killed (${report.signal})` });
      }
    }
    return lost;
  }
}

/** Seconds an agent has been quiet, for a message: its silence past its call's wait, and the wait. */
const quietFor = (agent: Pick<AgentRecord, "waitMs"> | undefined, silentMs: number): number =>
  Math.round((silentMs + (agent?.waitMs ?? 0)) / 1000);

/** Worker processes a run still has. */
export function remainingWorkers(run: Pick<LoadTestRun, "placement">): number {
  return run.placement.filter((e) => e.role === "worker" && e.lostAt === null).reduce((sum, e) => sum + e.processes, 0);
}

/** Where a run goes among its pool's connected agents, given the pool's active runs (pure). */
function decide(
  run: LoadTestRun,
  poolName: string,
  agents: AgentRecord[],
  poolRuns: LoadTestRun[],
  maxWorkers: number,
  oneAgent: boolean,
): PlaceOutcome {
  const earlier = poolRuns.filter(
    (r) =>
      r.status === "Pending" &&
      r.launchedAt === null &&
      (r.createdAt < run.createdAt || (r.createdAt === run.createdAt && r.id < run.id)),
  ).length;
  if (earlier > 0) {
    return {
      placed: false,
      waitingReason: `waiting behind ${earlier} earlier run${earlier === 1 ? "" : "s"} in pool ${poolName}`,
    };
  }
  const used = usedSlots(poolRuns);
  const candidates = agents.map((a) => ({
    id: a.id,
    name: a.name,
    labels: a.labels,
    free: a.capacity - (used.get(a.id) ?? 0),
  }));
  const request = { workers: run.workers, labels: run.labels, maxWorkers, oneAgent, regions: run.regions };
  const result = place(poolName, request, candidates);
  const least = Math.max(run.minWorkers ?? (oneAgent ? 0 : 1), run.regions.length);
  return result.placed && result.workers < least ? place(poolName, { ...request, workers: least }, candidates) : result;
}
