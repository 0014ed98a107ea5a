import type { AgentHub } from "./agents/agentHub.js";
import type { WorkerRelay } from "./agents/workerRelay.js";
import type { Config } from "./config.js";
import type { Principal } from "./auth.js";
import type { Logger } from "./logger.js";
import type { JobQueue } from "./jobs/queue.js";
import type { LiveBus } from "./live/liveBus.js";
import type { WindowReader } from "./analytics/windowReader.js";
import type { ClientLimits, ConnectionCounter } from "./clientLimits.js";
import type { SandboxStatus } from "./runners/sandbox.js";
import type { LiveTickets } from "./live/tickets.js";
import type { ServerMetrics } from "./ops/serverMetrics.js";
import type { RunService } from "./runs/runService.js";
import type { RunTokens } from "./runs/runTokens.js";
import type { MetricsStore } from "./metrics/metricsStore.js";
import type { Store } from "./store/index.js";
import type { SecretValues } from "./secrets/secretValues.js";
import type { Scheduler } from "./schedules/scheduler.js";

/** What the server hands every procedure: its services, and the caller (undefined: no valid token). */
export interface Services {
  config: Config;
  /** Tests, revisions and runs. */
  store: Store;
  /** The runs' metrics time series: snapshots, chart figures, whole-run stats. */
  metricsStore: MetricsStore;
  /** The one writer of runs' status (and publisher of what live subscribers watch). */
  runs: RunService;
  logger: Logger;
  now: () => number;
  queue: JobQueue;
  runTokens: RunTokens;
  live: LiveBus;
  sandbox: SandboxStatus;
  clientLimits: ClientLimits;
  /** Where the heavy window reads run (a worker thread, usually). */
  windowReader: WindowReader;
  liveTickets: LiveTickets;
  /** The server's own figures, for Prometheus. */
  metrics: ServerMetrics;
  /** Where agents call in. */
  agents: AgentHub;
  /** Locust's worker traffic for masters on hosts that take no inbound connection. */
  relay: WorkerRelay;
  /** Secrets' values, and the redaction of each run's. */
  secrets: SecretValues;
  /** Schedules' cron jobs on the queue, and their ticks. */
  schedules: Scheduler;
}

export interface Context extends Services {
  principal: Principal | undefined;
  /** The raw bearer token, for procedures with their own tokens (ingest). */
  bearerToken: string | undefined;
  /** Why there is no principal, when a plain "missing or invalid token" would mislead. */
  authProblem?: string | undefined;
  /** The WebSocket this call came over (its subscriptions are counted), if it did. */
  connection?: ConnectionCounter | undefined;
  /** Calls the listener if this call's HTTP connection closes before its answer is sent (a caller gone). */
  callerGone?: ((listener: () => void) => void) | undefined;
  /** Bytes written to this call's connection that the client has not yet taken. */
  unsent: () => number;
  /** This call is part of an export that already holds one of the token's heavy-query slots. */
  heavySlotHeld?: boolean;
}
