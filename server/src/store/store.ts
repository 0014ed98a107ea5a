import type {
  Agent,
  AgentPool,
  AgentRunReport,
  LoadChange,
  LoadTest,
  RunMetricsSummary,
  LoadTestFilter,
  LoadTestRun,
  Page,
  RunFilter,
  RunStatus,
  ScopeCount,
  ScriptRevision,
  Schedule,
  ScheduleTick,
  Secret,
  Webhook,
  WebhookDelivery,
} from "@loadmgr/shared";

export interface PageRequest {
  limit: number;
  cursor?: string | undefined;
  offset?: number | undefined;
}

/** Fields of a test that `updateLoadTest` may change. */
export type LoadTestChanges = Partial<
  Pick<
    LoadTest,
    | "name"
    | "description"
    | "tags"
    | "envId"
    | "locustClusterId"
    | "agentPool"
    | "defaultWorkers"
    | "targetUrl"
    | "scenarioId"
    | "defaultUsers"
    | "defaultSpawnRate"
    | "defaultDurationSec"
    | "maxDurationSec"
    | "thresholds"
    | "autoStop"
    | "defaultStages"
    | "env"
    | "secrets"
    | "metadata"
  >
> &
  Pick<LoadTest, "updatedAt" | "updatedBy">;

export type NewScriptRevision = Omit<ScriptRevision, "revisionNumber">;

export type RunChanges = Partial<
  Pick<LoadTestRun, "startedAt" | "finishedAt" | "failureReason" | "verdict" | "results" | "outcome">
> &
  Pick<LoadTestRun, "updatedAt" | "updatedBy">;

export type LaunchChanges = Pick<LoadTestRun, "launchedAt" | "updatedAt" | "updatedBy">;

/** What placing a run on a pool, and watching it there, changes (never its status: transitionRun does that). */
export type PoolRunChanges = Partial<
  Pick<LoadTestRun, "placement" | "warnings" | "waitingReason" | "masterEndpoint" | "workers" | "launchedAt">
> &
  Pick<LoadTestRun, "updatedAt" | "updatedBy">;

/** A pool as stored: the hash of its enrollment token's secret (null: revoked), not its agents. */
export type AgentPoolRecord = Omit<AgentPool, "agents" | "tokenState"> & {
  tokenHash: string | null;
  /** The token before the last rotation: its agents may finish the runs they hold, and take nothing new. */
  retiredTokenHash: string | null;
};

/** An agent as stored: what it last reported; whether it is connected is judged by who reads it. */
export type AgentRecord = Omit<Agent, "connected" | "running"> & {
  instanceId: string;
  runs: AgentRunReport[];
  /** How long the server may hold its last call (the call's waitMs; 0 once its connection went). Absent in older records. */
  waitMs?: number;
};

export interface ScopeFilter {
  accountId?: string | undefined;
  orgId?: string | undefined;
  projectId?: string | undefined;
}

/**
 * The entity store: tests and their revisions and files, runs, agent pools and agents, secrets,
 * webhooks and their deliveries, schedules (the metrics time series is the metrics store's,
 * metrics/metricsStore.ts). SqliteStore and MongoStore both implement it and pass one contract
 * suite (store.contract.ts). Every method is safe under concurrent callers.
 */
export interface Store {
  readonly kind: "sqlite" | "mongodb";
  /** Creates tables/collections and indexes. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the backing database cannot be reached. */
  ping(): Promise<void>;

  /** Stores a new test together with its revision 1 and that revision's files (listed in its `files`). */
  createLoadTest(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void>;
  getLoadTest(id: string): Promise<LoadTest | undefined>;
  /** Newest first (createdAt, then id), filtered; `tags` matches any of them. */
  listLoadTests(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>>;
  updateLoadTest(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined>;
  /** Deletes a test with its revisions, runs and schedules (their metrics are the metrics store's). False when it did not exist. */
  deleteLoadTest(id: string): Promise<boolean>;

  /**
   * Appends the next revision (numbers are 1, 2, 3… per test, gapless and never reused, also under
   * concurrent callers) and moves the test's latestRevisionId to it. Undefined when the test is gone.
   */
  addScriptRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined>;
  getScriptRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined>;
  /** The contents of a revision's files, those of `paths` only when given; a path it lacks is left out. */
  getScriptFiles(revisionId: string, paths?: string[]): Promise<FileContent[]>;
  /** Newest first. */
  listScriptRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>>;

  /**
   * Stores a Pending run as its test's next number (1, 2, 3… per test, gapless, also under concurrent
   * callers; `run.number` is ignored), named defaultRunName() when `run.name` is empty, and puts it at
   * the front of its test's recentRuns. Answers the stored run; undefined when the test is gone.
   */
  createRun(run: LoadTestRun): Promise<LoadTestRun | undefined>;
  getRun(id: string): Promise<LoadTestRun | undefined>;
  /** Newest first (createdAt, then id), filtered. */
  listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>>;
  countActiveRuns(loadTestId: string): Promise<number>;
  /** How many runs there are of each status (statuses with none may be missing). */
  countRunsByStatus(): Promise<Partial<Record<RunStatus, number>>>;
  /**
   * Moves a run to `to` only if its current status may move there (runStatus.ts), applies the
   * changes, and updates its recentRuns entry in place. Undefined when the guard did not hold.
   */
  transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined>;
  /**
   * Makes a run its test's baseline in its env (unmarking the one before, also under concurrent
   * callers: one baseline per test and env), or unmarks it. Undefined when the run does not exist.
   */
  setRunBaseline(
    id: string,
    on: boolean,
    changes: Pick<LoadTestRun, "updatedAt" | "updatedBy">,
  ): Promise<LoadTestRun | undefined>;
  /** The test's baseline run in that env (null: runs without an env), if it has one. */
  findBaselineRun(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined>;
  /** Sets launchedAt on a run that is Pending and not yet launched; undefined otherwise. */
  markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined>;
  /** Runs that are Pending, Running or Stopping, oldest first: what the sweep and reconciliation look at. */
  listActiveRuns(): Promise<LoadTestRun[]>;

  /**
   * Each account/org/project/env in `filter` that holds a test, with its counts of tests and runs,
   * sorted by account, org, project, env (no env first).
   */
  countByScope(filter: Pick<LoadTestFilter, "accountId" | "orgId" | "projectId">): Promise<ScopeCount[]>;

  /** Moves the run's lastMetrics to `summary` unless that snapshot or a later one (by seq) is there. */
  setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void>;

  /** Appends a change of load to a run that is Running; undefined when it is not (or not there). */
  addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined>;

  /**
   * Changes a pool run's placement fields while it is active; with `unlaunched`, only while it is
   * Pending and not yet launched (placing it). Undefined when that did not hold.
   */
  updatePoolRun(id: string, changes: PoolRunChanges, unlaunched: boolean): Promise<LoadTestRun | undefined>;

  /**
   * Places a Pending, unlaunched run on its pool, one placement of a pool at a time (whichever
   * server process makes it): `decide` gets the pool's active runs, oldest first (this one among
   * them), and answers the changes (the placement) or undefined to leave the run as it is. Answers
   * the placed run; undefined when `decide` declined or the run was no longer Pending and unlaunched.
   */
  placePoolRun(
    id: string,
    poolId: string,
    decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
  ): Promise<LoadTestRun | undefined>;

  createAgentPool(pool: AgentPoolRecord): Promise<void>;
  getAgentPool(id: string): Promise<AgentPoolRecord | undefined>;
  /** Oldest first; at most 1,000. */
  listAgentPools(filter: ScopeFilter): Promise<AgentPoolRecord[]>;
  /** Sets (rotate) or clears (revoke) the token's hash. Undefined when the pool does not exist. */
  /** A new token (null: revoked); `retiredTokenHash` is the one its agents may finish their runs with. */
  setAgentPoolToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash?: string | null,
  ): Promise<AgentPoolRecord | undefined>;
  /** Inserts or replaces the agent (by id; a pool's agent names are unique). */
  saveAgent(agent: AgentRecord): Promise<void>;
  getAgent(id: string): Promise<AgentRecord | undefined>;
  /** The pool's agent of that name (names are unique in a pool): what each heartbeat looks up. */
  findAgent(poolId: string, name: string): Promise<AgentRecord | undefined>;
  /** The pools' agents, by pool then name. */
  listAgents(poolIds: string[]): Promise<AgentRecord[]>;
  /** Removes an agent's record; false when there was none. */
  deleteAgent(id: string): Promise<boolean>;
  /** Removes a pool and its agents' records; false when there was no such pool. */
  deleteAgentPool(id: string): Promise<boolean>;

  /** Inserts or replaces the secret of that scope and name (createdAt/By kept on a replace); true when it was new. */
  putSecret(secret: SecretRecord): Promise<boolean>;
  /** The secrets of the project, of one env and the project's own when `envId` is given (null: the project's only). */
  listSecrets(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]>;
  deleteSecret(scope: SecretScope, envId: string | null, name: string): Promise<boolean>;

  createWebhook(webhook: WebhookRecord): Promise<void>;
  getWebhook(id: string): Promise<WebhookRecord | undefined>;
  /** Oldest first; at most 1,000. */
  listWebhooks(filter: ScopeFilter): Promise<WebhookRecord[]>;
  updateWebhook(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined>;
  /** Deletes the webhook and its delivery log; false when it did not exist. */
  deleteWebhook(id: string): Promise<boolean>;
  /** Logs one attempt, keeping the newest MAX_DELIVERY_LOG of the webhook's. */
  addWebhookDelivery(delivery: WebhookDelivery): Promise<void>;
  /** Newest first (by time, then id). */
  listWebhookDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]>;

  createSchedule(schedule: Schedule): Promise<void>;
  getSchedule(id: string): Promise<Schedule | undefined>;
  /** The test's schedules (every schedule without one), oldest first; at most 1,000. */
  listSchedules(loadTestId?: string): Promise<Schedule[]>;
  updateSchedule(id: string, changes: ScheduleChanges): Promise<Schedule | undefined>;
  deleteSchedule(id: string): Promise<boolean>;
  /** Puts a tick at the front of the schedule's ticks (keeping MAX_SCHEDULE_TICKS) and sets its next run; also under concurrent callers. */
  recordScheduleTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined>;
}

export type ScheduleChanges = Partial<
  Pick<Schedule, "cron" | "timezone" | "enabled" | "overrides" | "thresholds" | "nextRunAt">
> &
  Pick<Schedule, "updatedAt" | "updatedBy">;

/** Attempts a webhook's delivery log keeps (the oldest go first). */
export const MAX_DELIVERY_LOG = 200;

/** A webhook as stored: its signing secret encrypted (secrets/secretBox.ts). */
export type WebhookRecord = Webhook & { secretCiphertext: string };
export type WebhookChanges = Partial<
  Pick<WebhookRecord, "url" | "events" | "envId" | "format" | "enabled" | "secretCiphertext">
> &
  Pick<Webhook, "updatedAt" | "updatedBy">;

/** A file of a revision, as its bytes. */
export interface FileContent {
  path: string;
  content: Buffer;
}

export type SecretScope = Pick<Secret, "accountId" | "orgId" | "projectId">;
/** A secret as stored: its value encrypted (secrets/secretBox.ts). */
export type SecretRecord = Secret & { ciphertext: string };
