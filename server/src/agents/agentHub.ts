import {
  isTerminal,
  LOCAL_POOL_ID,
  type Agent,
  type AgentAssignment,
  type AgentPool,
  type AgentRunReport,
  type AgentSyncInput,
  type AgentSyncOutput,
  type LoadTestRun,
} from "@loadmgr/shared";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import { newId } from "../ids.js";
import { runStatusChannel, type Channel, type LiveBus, type Unsubscribe } from "../live/liveBus.js";
import type { Logger } from "../logger.js";
import type { SandboxStatus } from "../runners/sandbox.js";
import type { RunService } from "../runs/runService.js";
import type { RunTokens } from "../runs/runTokens.js";
import { runContent } from "../runs/runContent.js";
import type { SecretValues } from "../secrets/secretValues.js";
import type { AgentPoolRecord, AgentRecord, Store } from "../store/store.js";
import { poolIdOf, secretMatches } from "./poolTokens.js";

/** A pool's token changed (rotated or revoked): its agents' held calls answer at once. */
export const agentPoolChannel = "agent-pools" as Channel<{ poolId: string }>;

export interface AgentHubDeps {
  config: Config;
  store: Store;
  runs: RunService;
  live: LiveBus;
  logger: Logger;
  tokens: RunTokens;
  secrets: SecretValues;
  sandbox: SandboxStatus;
  /** host:port pairs of the server's own services on its host, which runs there may never reach. */
  reserved: [string, number][];
  now: () => number;
  /** Time this server stood still since then: a call it could not read meanwhile only looks late. */
  stalledSince?: (since: number) => number;
}

/** How long an agent may go unheard before it counts as disconnected: 3 metrics intervals + 10 s unless configured. */
export function agentSilenceMs(config: Config): number {
  return (config.agents.silenceSec ?? 3 * config.runner.metricsIntervalSec + 10) * 1000;
}

/**
 * Until when an agent counts as heard: its last call, and the wait the server may hold it (the
 * agent calls again as soon as it is answered, or sooner when it has something to say).
 */
export const heardUntil = (record: Pick<AgentRecord, "lastSeenAt" | "waitMs">): number =>
  record.lastSeenAt + (record.waitMs ?? 0);

/** Whether an agent counts as connected at `now`: heard within the silence window. */
export function agentConnected(
  record: Pick<AgentRecord, "lastSeenAt" | "waitMs">,
  now: number,
  silenceMs: number,
): boolean {
  return now - heardUntil(record) < silenceMs;
}

/** An agent as the API shows it. */
export function agentView(record: AgentRecord, activeRuns: LoadTestRun[], now: number, silenceMs: number): Agent {
  const running: Agent["running"] = [];
  for (const run of activeRuns) {
    for (const entry of run.placement) {
      if (entry.agentId === record.id && entry.lostAt === null) {
        running.push({ runId: run.id, role: entry.role, processes: entry.processes });
      }
    }
  }
  const { instanceId: _instance, runs: _runs, ...rest } = record;
  // (Records from before agents said so: every agent took connections then.)
  const { waitMs: _wait, ...shown } = rest;
  const connected = agentConnected(record, now, silenceMs);
  return { ...shown, inbound: record.inbound !== false, connected, running };
}

export function poolView(pool: AgentPoolRecord, agents: Agent[]): AgentPool {
  const { tokenHash, retiredTokenHash: _retired, ...rest } = pool;
  return { ...rest, tokenState: tokenHash === null ? "revoked" : "active", agents };
}

/**
 * The server's side of the agents' one outbound connection: each agent calls `sync` in a loop (an
 * HTTP long poll), reporting what it runs and receiving what it should run. The answer is
 * declarative (every run the agent should hold, and whether to stop it), so a lost answer, a
 * reconnect or a restarted server changes nothing: the next call sets it right. The store is the
 * record; a call is held until something for the agent changes (a run placed on it, stopped or
 * ended, its token revoked) or `waitMs` passes, which is also the agent's heartbeat.
 */
export class AgentHub {
  private readonly waiting = new Map<string, { poolId: string; wake: () => void }>();
  /** Each agent's newest call in flight in this process (calls are numbered as they come). */
  private readonly latestCall = new Map<string, number>();
  private calls = 0;
  private unsubscribe: Unsubscribe[] = [];
  private closed = false;

  constructor(private readonly deps: AgentHubDeps) {}

  async start(): Promise<void> {
    const { live } = this.deps;
    this.unsubscribe.push(
      await live.subscribe(runStatusChannel, (run) => {
        for (const entry of run.placement) this.waiting.get(entry.agentId)?.wake();
      }),
      await live.subscribe(agentPoolChannel, ({ poolId }) => {
        for (const waiter of this.waiting.values()) if (waiter.poolId === poolId) waiter.wake();
      }),
    );
  }

  /** Answers every held call (the server is going away; agents call again, here or elsewhere). */
  async close(): Promise<void> {
    this.closed = true;
    for (const waiter of this.waiting.values()) waiter.wake();
    await Promise.all(this.unsubscribe.map((u) => u()));
    this.unsubscribe = [];
  }

  /**
   * The pool whose token this is, and whether it is the token the last rotation retired (its agents
   * finish what they hold and take nothing new); 401 for anything else, a revoked token included.
   */
  async authenticate(token: string | undefined): Promise<{ pool: AgentPoolRecord; retired: boolean }> {
    const parsed = token === undefined ? undefined : poolIdOf(token);
    const pool = parsed === undefined ? undefined : await this.deps.store.pools.get(parsed.poolId);
    if (parsed !== undefined && pool !== undefined) {
      if (secretMatches(parsed.secret, pool.tokenHash)) return { pool, retired: false };
      // (Older records have no retired token.)
      if (secretMatches(parsed.secret, pool.retiredTokenHash ?? null)) return { pool, retired: true };
    }
    throw new AppError(
      "UNAUTHORIZED",
      pool?.tokenHash === null
        ? `the enrollment token of agent pool ${pool.name} has been revoked`
        : "missing or wrong agent pool enrollment token",
    );
  }

  /**
   * An agent's clock must be close to the server's: Locust's seconds, its snapshots' times and the
   * silence rules read the hosts' clocks. The call's own transit makes the agent look behind by that
   * much, so what is measured is the lag since it was sent (a late answer or a slow network counts
   * against the agent, which then only waits for a calmer call).
   */
  private checkClock(input: AgentSyncInput): void {
    if (input.sentAt === undefined) return;
    const now = this.deps.now();
    const lateMs = now - input.sentAt;
    // A call that waited while this server stood still is late by that much, not behind.
    const aheadMs = lateMs > 0 ? -Math.max(0, lateMs - (this.deps.stalledSince?.(input.sentAt) ?? 0)) : -lateMs;
    const limitMs = this.deps.config.agents.maxClockSkewSec * 1000;
    if (Math.abs(aheadMs) <= limitMs) return;
    const by = `${(Math.abs(aheadMs) / 1000).toFixed(1)} s ${aheadMs > 0 ? "ahead of" : "behind"}`;
    throw new AppError(
      "AGENT_CLOCK_SKEW",
      `agent ${input.name}'s clock is ${by} the server's (more than agents.maxClockSkewSec, ${limitMs / 1000} s): keep it in step (NTP); it is taken once it is`,
      "sentAt",
    );
  }

  /** An agent on a retired token that holds nothing of an active run: it is told to start again with the new one. */
  private async refuseIdleOnRetiredToken(pool: AgentPoolRecord, input: AgentSyncInput): Promise<void> {
    const { store } = this.deps;
    const activeRuns = await store.runs.listActive();
    const active = new Set(activeRuns.map((r) => r.id));
    if (input.runs.some((r) => r.state === "running" && active.has(r.runId))) return;
    // It leaves now: no run may be placed on it meanwhile (it would count as connected for its silence
    // window). While a run it took part in is still ending (its processes are done, their master's
    // final report may not be in yet), it must not look silent either, or those parts count as lost:
    // then it only takes no new work (no capacity), and goes silent by itself once it has left.
    const agent = await store.pools.findAgent(pool.id, input.name);
    if (agent?.instanceId === input.instanceId) {
      const ending = activeRuns.some((run) => run.placement.some((e) => e.agentId === agent.id && e.lostAt === null));
      await store.pools.saveAgent(
        ending
          ? { ...agent, capacity: 0, runs: input.runs.map(({ endedWithAgent: _claimed, ...report }) => report) }
          : { ...agent, lastSeenAt: 0, waitMs: 0, runs: [] },
      );
    }
    throw new AppError(
      "UNAUTHORIZED",
      `the enrollment token of agent pool ${pool.name} was rotated: this agent has finished what it held; start it with the new token`,
    );
  }

  async sync(
    token: string | undefined,
    input: AgentSyncInput,
    callerGone?: (listener: () => void) => void,
  ): Promise<AgentSyncOutput> {
    const { store, now } = this.deps;
    const { pool, retired } = await this.authenticate(token);
    this.checkClock(input);
    if (retired) await this.refuseIdleOnRetiredToken(pool, input);
    const silenceMs = agentSilenceMs(this.deps.config);
    const existing = await store.pools.findAgent(pool.id, input.name);
    const sameProcess = existing?.instanceId === input.instanceId;
    // The next process on the same directory (it holds the lock the previous one held): that one has ended.
    const follows = existing !== undefined && !sameProcess && input.previousInstanceId === existing.instanceId;
    if (existing !== undefined && !sameProcess && !follows && agentConnected(existing, now(), silenceMs)) {
      throw new AppError(
        "AGENT_NAME_TAKEN",
        `an agent named ${input.name} is already connected to pool ${pool.name}; give this one another --name`,
        "name",
      );
    }
    const connected = existing !== undefined && sameProcess && agentConnected(existing, now(), silenceMs);
    const agent: AgentRecord = {
      id: existing?.id ?? newId(now()),
      poolId: pool.id,
      name: input.name,
      instanceId: input.instanceId,
      capacity: input.capacity,
      labels: input.labels,
      version: input.version,
      address: input.address,
      inbound: input.inbound,
      connectedAt: connected ? existing.connectedAt : now(),
      lastSeenAt: now(),
      waitMs: input.waitMs,
      // What ended with an earlier process is the server's to say, never an agent's.
      runs: [
        ...input.runs.map(({ endedWithAgent: _claimed, ...report }) => report),
        ...(await this.endedWithEarlierProcesses(existing, input)),
      ],
    };
    await store.pools.saveAgent(agent);
    if (!connected) {
      this.deps.logger.info(
        { agentId: agent.id, pool: pool.name, name: agent.name, capacity: agent.capacity, address: agent.address },
        "agent connected",
      );
    }
    await this.recordMasterPorts(agent, input.runs);

    const deadline = now() + input.waitMs;
    // The agent's connection closing before the answer (its process ended): it is no longer waiting
    // on this call, so its silence counts from now, not from the end of the wait.
    let gone = false;
    let wakeThis: (() => void) | undefined;
    callerGone?.(() => {
      gone = true;
      wakeThis?.();
    });
    // An agent's newer call (it had something to say) supersedes this one: answered at once, never held again.
    const call = ++this.calls;
    this.latestCall.set(agent.id, call);
    try {
      for (;;) {
        if (gone) {
          await this.callerLeft(agent);
          return { agentId: agent.id, assignments: [] };
        }
        const assignments = await this.assignmentsFor(agent, retired);
        const superseded = this.latestCall.get(agent.id) !== call;
        if (this.closed || superseded || now() >= deadline || !inStep(assignments, input.runs)) {
          return { agentId: agent.id, assignments };
        }
        await this.waitForChange(agent, deadline - now(), (wake) => (wakeThis = wake));
        // A revoked token ends the call (and the agent's connection) at once; a rotated one ends it so
        // that the agent calls again on it (and is refused once it holds nothing).
        if ((await this.authenticate(token)).retired !== retired) return { agentId: agent.id, assignments };
      }
    } finally {
      // Only calls in flight are kept: agents that come and go leave nothing behind. (A call that
      // finds no entry was superseded by one that has already been answered.)
      if (this.latestCall.get(agent.id) === call) this.latestCall.delete(agent.id);
    }
  }

  /**
   * What earlier processes under this agent's name ran, of runs still active, that ended with them:
   * kept on the record (as exited, saying why) so that the run sees it lost and none of it is handed
   * out again. A process that followed another on its directory, or came after its silence, ran none
   * of what that one reported running.
   */
  private async endedWithEarlierProcesses(
    existing: AgentRecord | undefined,
    input: AgentSyncInput,
  ): Promise<AgentRunReport[]> {
    if (existing === undefined) return [];
    const key = (r: AgentRunReport): string => `${r.runId}/${r.role}`;
    const reported = new Set(input.runs.map(key));
    const replaced = existing.instanceId !== input.instanceId;
    const ended = existing.runs.filter(
      (r) => !reported.has(key(r)) && (r.endedWithAgent !== undefined || (replaced && r.state === "running")),
    );
    if (ended.length === 0) return [];
    const active = new Set((await this.deps.store.runs.listActive()).map((r) => r.id));
    return ended
      .filter((r) => active.has(r.runId))
      .map((r) => ({
        runId: r.runId,
        role: r.role,
        processes: r.processes,
        state: "exited" as const,
        exitCode: null,
        signal: null,
        endedWithAgent:
          r.endedWithAgent ??
          `agent ${existing.name}'s process ended (a new one took its place), and its ${r.role} processes of the run with it`,
      }));
  }

  /** A master's agent reports the port its workers are to reach; the run records host:port. */
  private async recordMasterPorts(agent: AgentRecord, reports: AgentRunReport[]): Promise<void> {
    for (const report of reports) {
      if (report.role !== "master" || report.masterPort === undefined || report.state !== "running") continue;
      const run = await this.deps.store.runs.get(report.runId);
      if (run === undefined || run.masterEndpoint !== null || isTerminal(run.status)) continue;
      const master = run.placement.find((e) => e.role === "master");
      if (master?.agentId !== agent.id) continue;
      const endpoint = `${agent.address.includes(":") ? `[${agent.address}]` : agent.address}:${report.masterPort}`;
      await this.deps.runs.updatePlacement(run.id, { masterEndpoint: endpoint });
      this.deps.logger.info({ runId: run.id, endpoint, agent: agent.name }, "run's master listens for its workers");
    }
  }

  /** Every run the agent should hold processes of, as it should hold them (on a retired token: only what it holds). */
  private async assignmentsFor(agent: AgentRecord, retired = false): Promise<AgentAssignment[]> {
    const active = await this.deps.store.runs.listActive();
    const held = new Set(agent.runs.map((r) => `${r.runId}/${r.role}`));
    const assignments: AgentAssignment[] = [];
    for (const run of active) {
      if (run.launchedAt === null) continue;
      const master = run.placement.find((e) => e.role === "master");
      for (const entry of run.placement) {
        if (entry.agentId !== agent.id || entry.lostAt !== null) continue;
        // Workers on the master's agent run in the master's sandbox, with it.
        if (entry.role === "worker" && entry.agentId === master?.agentId) continue;
        // Workers start once their master listens (they are told where).
        if (entry.role === "worker" && run.masterEndpoint === null) continue;
        const assignment: AgentAssignment = {
          runId: run.id,
          role: entry.role,
          processes: entry.processes,
          stop: entry.role === "master" && run.status === "Stopping",
        };
        // What ended with an earlier process of this agent is gone for good: never started again here.
        if (agent.runs.some((r) => r.runId === run.id && r.role === entry.role && r.endedWithAgent !== undefined)) {
          continue;
        }
        if (!held.has(`${run.id}/${entry.role}`)) {
          // New work needs the pool's current token.
          if (retired) continue;
          const spec = await this.specFor(run, agent, entry.role, entry.processes);
          if (spec === undefined) continue;
          assignment.spec = spec;
        }
        assignments.push(assignment);
      }
    }
    return assignments;
  }

  /** What the agent's supervisor needs to start its share of the run (the ingest token: the master's only). */
  private async specFor(
    run: LoadTestRun,
    agent: AgentRecord,
    role: "master" | "worker",
    processes: number,
  ): Promise<Record<string, unknown> | undefined> {
    const { store, tokens, config, sandbox, secrets, reserved } = this.deps;
    const prepared = await runContent(store, secrets, run);
    if (!prepared.ok) return undefined;
    const { targetUrl, stages, ...content } = prepared.content;
    const local = agent.poolId === LOCAL_POOL_ID;
    const common = {
      runId: run.id,
      role,
      ...content,
      targetUrl,
      allowedHosts: prepared.test.allowedHosts,
      runSecret: tokens.workerSecret(run.id),
      // Another host sandboxes its runs itself, and fails closed where it cannot; this server's host
      // only where it can (where it cannot, only the admin may start runs here).
      sandbox: local ? sandbox.available : sandbox.mode === "on",
      limits: config.runner.limits,
      // The server's own services on its host are out of reach of every run there.
      network: { deny: local ? reserved : [] },
    };
    // Split CSVs: each agent's workers take the shares after those of the workers placed before them.
    const workers = run.placement.filter((e) => e.role === "worker" && e.lostAt === null);
    const index = workers.findIndex((e) => e.agentId === agent.id);
    const shares = {
      workerIndexBase: workers.slice(0, Math.max(0, index)).reduce((sum, e) => sum + e.processes, 0),
      workerTotal: workers.reduce((sum, e) => sum + e.processes, 0),
    };
    // A master on a host that takes no inbound connection gets its remote workers through the relay.
    const masterAgentId = run.placement.find((e) => e.role === "master")?.agentId;
    const masterAgent = masterAgentId === agent.id ? agent : await store.pools.getAgent(masterAgentId ?? "");
    const relayed = masterAgent?.inbound === false;
    const relay = relayed
      ? { relayWorkers: true, ...(config.agents.relayUrl ? { relayUrl: config.agents.relayUrl } : {}) }
      : {};
    // A run split over regions: this agent's processes count in its region (the plugin keeps each region's figures).
    const region = run.placement.find((e) => e.agentId === agent.id && e.lostAt === null)?.region;
    const inRegion = region !== undefined && region !== "" ? { region } : {};
    if (role === "worker") {
      const endpoint = run.masterEndpoint ?? "";
      const colon = endpoint.lastIndexOf(":");
      return {
        ...common,
        ...shares,
        ...relay,
        ...inRegion,
        workers: processes,
        masterHost: endpoint.slice(0, colon).replace(/^\[|\]$/g, ""),
        masterPort: Number(endpoint.slice(colon + 1)),
        // Taken off the spec by the agent (into its supervisor's environment, like the ingest token).
        ...(relayed ? { relayToken: tokens.relayToken(run.id) } : {}),
      };
    }
    return {
      ...common,
      ...shares,
      stages,
      users: run.targetUsers,
      spawnRate: run.spawnRate,
      // The supervisor's own spec (agents of an earlier version read it too): its name stays.
      durationSeconds: run.durationSec,
      intervalSec: config.runner.metricsIntervalSec,
      // Workers on this agent run beside the master; the others come through its relay.
      workers: index >= 0 ? (workers[index]?.processes ?? 0) : 0,
      expectWorkers: shares.workerTotal,
      ...relay,
      ...inRegion,
      ingestToken: tokens.issue(run.id),
    };
  }

  /** An agent whose held call's connection went: heard until now, no longer. */
  private async callerLeft(agent: AgentRecord): Promise<void> {
    const { store, now, logger } = this.deps;
    const current = await store.pools.getAgent(agent.id);
    // Unless a newer call (or another process of its name) has been recorded meanwhile.
    if (current?.instanceId !== agent.instanceId || current.lastSeenAt !== agent.lastSeenAt) return;
    await store.pools.saveAgent({ ...current, lastSeenAt: now(), waitMs: 0 });
    logger.info({ agentId: agent.id, name: agent.name }, "agent's held call closed before its answer");
  }

  private waitForChange(agent: AgentRecord, ms: number, onWaiting?: (wake: () => void) => void): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        if (this.waiting.get(agent.id)?.wake === done) this.waiting.delete(agent.id);
        resolve();
      };
      onWaiting?.(done);
      const timer = setTimeout(done, Math.max(0, ms));
      // One held call per agent: an older one (a connection the agent gave up on) answers now.
      const previous = this.waiting.get(agent.id);
      this.waiting.set(agent.id, { poolId: agent.poolId, wake: done });
      previous?.wake();
      if (this.closed) done();
    });
  }
}

/** Whether the agent already does what the assignments say: nothing new to start, stop or kill. */
function inStep(assignments: AgentAssignment[], reports: AgentRunReport[]): boolean {
  const key = (x: { runId: string; role: string }): string => `${x.runId}/${x.role}`;
  const reported = new Map(reports.map((r) => [key(r), r]));
  for (const a of assignments) {
    const report = reported.get(key(a));
    if (report === undefined) return false;
    if (a.stop && report.state === "running" && report.stopRequested !== true) return false;
  }
  const wanted = new Set(assignments.map(key));
  // Processes of a run no longer wanted that the agent is already winding down count as in step.
  return reports.every((r) => r.state !== "running" || wanted.has(key(r)) || r.stopRequested === true);
}
