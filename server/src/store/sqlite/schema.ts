import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type {
  AgentRunReport,
  AutoStop,
  Labels,
  RegionShare,
  PlacementEntry,
  RunWarning,
  LoadChange,
  RecentRun,
  RunOutcome,
  ScriptFileInfo,
  Stage,
  RunMetricsSummary,
  RunResults,
  RegressionRule,
  RunStatus,
  RunTrigger,
  RunVerdict,
  ThresholdItem,
  WebhookEvent,
  WebhookFormat,
  ScheduleOverrides,
  ScheduleTick,
  WindowStatsRecord,
} from "@loadmgr/shared";

type Json = Record<string, unknown>;

export const loadTests = sqliteTable(
  "load_tests",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    description: text("description").notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    locustClusterId: text("locust_cluster_id"),
    agentPool: text("agent_pool"),
    defaultWorkers: integer("default_workers"),
    targetUrl: text("target_url").notNull(),
    latestRevisionId: text("latest_revision_id").notNull(),
    latestRevisionNumber: integer("latest_revision_number").notNull(),
    scenarioId: text("scenario_id"),
    defaultUsers: integer("default_users").notNull(),
    defaultSpawnRate: real("default_spawn_rate").notNull(),
    defaultDurationSec: integer("default_duration_sec").notNull(),
    maxDurationSec: integer("max_duration_sec").notNull(),
    thresholds: text("thresholds", { mode: "json" })
      .$type<ThresholdItem[]>()
      .notNull()
      .default(sql`'[]'`),
    autoStop: text("auto_stop", { mode: "json" }).$type<AutoStop>(),
    failOnRegression: integer("fail_on_regression", { mode: "boolean" }).notNull().default(false),
    regressionRule: text("regression_rule", { mode: "json" })
      .$type<RegressionRule>()
      .notNull()
      .default(sql`'{"latencyPercent":10,"latencyMinMs":1,"errorRatePoints":1}'`),
    defaultStages: text("default_stages", { mode: "json" }).$type<Stage[]>(),
    env: text("env", { mode: "json" })
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'`),
    secrets: text("secrets", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    allowedHosts: text("allowed_hosts", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    recentRuns: text("recent_runs", { mode: "json" }).$type<RecentRun[]>().notNull(),
    /** How many runs it has had: the number of its newest run. */
    runCount: integer("run_count").notNull().default(0),
    metadata: text("metadata", { mode: "json" }).$type<Json>().notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [
    index("load_tests_created_idx").on(t.createdAt, t.id),
    index("load_tests_scope_idx").on(t.accountId, t.orgId, t.projectId, t.createdAt),
  ],
);

export const scriptRevisions = sqliteTable(
  "script_revisions",
  {
    id: text("id").primaryKey(),
    loadTestId: text("load_test_id").notNull(),
    revisionNumber: integer("revision_number").notNull(),
    scriptContent: text("script_content").notNull(),
    files: text("files", { mode: "json" })
      .$type<ScriptFileInfo[]>()
      .notNull()
      .default(sql`'[]'`),
    description: text("description").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [uniqueIndex("script_revisions_number_idx").on(t.loadTestId, t.revisionNumber)],
);

/** The files of a revision beside its locustfile (the revision's `files` lists them without content). */
export const scriptFiles = sqliteTable(
  "script_files",
  {
    revisionId: text("revision_id").notNull(),
    path: text("path").notNull(),
    loadTestId: text("load_test_id").notNull(),
    content: blob("content", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.revisionId, t.path] }), index("script_files_test_idx").on(t.loadTestId)],
);

/** Secrets, encrypted; scope_env is the env id, or "" for the project's own. */
export const secrets = sqliteTable(
  "secrets",
  {
    name: text("name").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    scopeEnv: text("scope_env").notNull(),
    ciphertext: text("ciphertext").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [primaryKey({ columns: [t.accountId, t.orgId, t.projectId, t.scopeEnv, t.name] })],
);

export const loadTestRuns = sqliteTable(
  "load_test_runs",
  {
    id: text("id").primaryKey(),
    loadTestId: text("load_test_id").notNull(),
    number: integer("number").notNull().default(0),
    name: text("name").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    scriptRevisionId: text("script_revision_id").notNull(),
    locustClusterId: text("locust_cluster_id"),
    agentPool: text("agent_pool"),
    workers: integer("workers"),
    minWorkers: integer("min_workers"),
    labels: text("labels", { mode: "json" })
      .$type<Labels>()
      .notNull()
      .default(sql`'{}'`),
    regions: text("regions", { mode: "json" })
      .$type<RegionShare[]>()
      .notNull()
      .default(sql`'[]'`),
    placement: text("placement", { mode: "json" })
      .$type<PlacementEntry[]>()
      .notNull()
      .default(sql`'[]'`),
    masterEndpoint: text("master_endpoint"),
    waitingReason: text("waiting_reason"),
    warnings: text("warnings", { mode: "json" })
      .$type<RunWarning[]>()
      .notNull()
      .default(sql`'[]'`),
    targetUrl: text("target_url").notNull().default(""),
    tags: text("tags", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    env: text("env", { mode: "json" })
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'`),
    secrets: text("secrets", { mode: "json" })
      .$type<string[]>()
      .notNull()
      .default(sql`'[]'`),
    targetUsers: integer("target_users").notNull(),
    spawnRate: real("spawn_rate").notNull(),
    durationSeconds: integer("duration_seconds").notNull(),
    stages: text("stages", { mode: "json" }).$type<Stage[]>(),
    shapeNote: text("shape_note"),
    status: text("status").$type<RunStatus>().notNull(),
    launchedAt: integer("launched_at"),
    startedAt: integer("started_at"),
    finishedAt: integer("finished_at"),
    failureReason: text("failure_reason"),
    lastMetrics: text("last_metrics", { mode: "json" }).$type<RunMetricsSummary>(),
    thresholds: text("thresholds", { mode: "json" })
      .$type<ThresholdItem[]>()
      .notNull()
      .default(sql`'[]'`),
    verdict: text("verdict", { mode: "json" }).$type<RunVerdict>(),
    results: text("results", { mode: "json" }).$type<RunResults>(),
    outcome: text("outcome").$type<RunOutcome>(),
    loadChanges: text("load_changes", { mode: "json" })
      .$type<LoadChange[]>()
      .notNull()
      .default(sql`'[]'`),
    autoStop: text("auto_stop", { mode: "json" }).$type<AutoStop>(),
    baseline: integer("baseline", { mode: "boolean" }).notNull().default(false),
    trigger: text("trigger", { mode: "json" })
      .$type<RunTrigger>()
      .notNull()
      .default(sql`'{"type":"api","scheduleId":null}'`),
    metadata: text("metadata", { mode: "json" }).$type<Json>().notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [
    index("runs_test_idx").on(t.loadTestId, t.createdAt),
    index("runs_created_idx").on(t.createdAt, t.id),
    index("runs_scope_idx").on(t.accountId, t.orgId, t.projectId, t.createdAt),
    index("runs_status_idx").on(t.status),
    index("runs_outcome_idx").on(t.outcome, t.createdAt),
  ],
);

/** A snapshot's (or a block of snapshots') figures over all endpoints: SnapshotPoint's columns, less seq. */
const chartFigures = () => ({
  timestamp: integer("timestamp").notNull(),
  intervalMs: integer("interval_ms").notNull(),
  users: integer("users").notNull(),
  requests: integer("requests").notNull(),
  failures: integer("failures").notNull(),
  sumResponseMs: real("sum_response_ms").notNull(),
  minResponseMs: real("min_response_ms").notNull(),
  maxResponseMs: real("max_response_ms").notNull(),
  histogram: blob("histogram", { mode: "buffer" }).notNull(),
});

export const metricsTimeseries = sqliteTable(
  "metrics_timeseries",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    seq: integer("seq").notNull(),
    loadTestId: text("load_test_id").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    ...chartFigures(),
    /** 1 once the snapshot is in its run's run_stats row; new snapshots are merged in batches. */
    merged: integer("merged").notNull().default(1),
  },
  (t) => [
    primaryKey({ columns: [t.loadTestRunId, t.seq] }),
    index("metrics_run_time_idx").on(t.loadTestRunId, t.timestamp),
    index("metrics_unmerged_idx")
      .on(t.loadTestRunId, t.seq)
      .where(sql`merged = 0`),
  ],
);

/**
 * Each snapshot's compressed per-endpoint detail, apart from its chart figures so that charts over
 * tens of thousands of snapshots read narrow rows. Both tables are WITHOUT ROWID (see 0004), so rows
 * sit in (run, seq) order.
 */
export const metricsBodies = sqliteTable(
  "metrics_bodies",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    seq: integer("seq").notNull(),
    body: blob("body", { mode: "buffer" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.seq] })],
);

/**
 * Per run, its chart figures merged per block of BLOCK_SEQS consecutive seqs (block b: seqs
 * b·16+1 … (b+1)·16), so a day's chart merges 2,700 blocks rather than 43,200 snapshots.
 */
export const metricsBlocks = sqliteTable(
  "metrics_blocks",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    block: integer("block").notNull(),
    snapshots: integer("snapshots").notNull(),
    /** The block's last stored seq. */
    seq: integer("seq").notNull(),
    ...chartFigures(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.block] })],
);

/** Per run, every stored snapshot merged: whole-run figures without scanning the time series. */
export const runStats = sqliteTable(
  "run_stats",
  {
    loadTestRunId: text("load_test_run_id").primaryKey(),
    loadTestId: text("load_test_id").notNull(),
    stats: text("stats", { mode: "json" }).$type<WindowStatsRecord>().notNull(),
  },
  (t) => [index("run_stats_test_idx").on(t.loadTestId)],
);

/** Files a run's Locust wrote (its CSVs, its log), collected when its master ended; gzip-compressed. */
export const runFiles = sqliteTable(
  "run_files",
  {
    loadTestRunId: text("load_test_run_id").notNull(),
    name: text("name").notNull(),
    loadTestId: text("load_test_id").notNull(),
    gzipped: blob("gzipped", { mode: "buffer" }).notNull(),
    bytes: integer("bytes").notNull(),
    truncated: integer("truncated", { mode: "boolean" }).notNull(),
    collectedAt: integer("collected_at").notNull(),
  },
  (t) => [primaryKey({ columns: [t.loadTestRunId, t.name] }), index("run_files_test_idx").on(t.loadTestId)],
);

export const agentPools = sqliteTable(
  "agent_pools",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    /** SHA-256 of the enrollment token's secret; null: revoked. */
    tokenHash: text("token_hash"),
    /** The token before the last rotation (its agents finish what they hold); null after a revoke. */
    retiredTokenHash: text("retired_token_hash"),
    tokenRotatedAt: integer("token_rotated_at").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
  },
  (t) => [index("agent_pools_scope_idx").on(t.accountId, t.orgId, t.projectId, t.createdAt)],
);

export const agents = sqliteTable(
  "agents",
  {
    id: text("id").primaryKey(),
    poolId: text("pool_id").notNull(),
    name: text("name").notNull(),
    instanceId: text("instance_id").notNull(),
    capacity: integer("capacity").notNull(),
    labels: text("labels", { mode: "json" }).$type<Labels>().notNull(),
    version: text("version").notNull(),
    address: text("address").notNull(),
    inbound: integer("inbound", { mode: "boolean" }).notNull().default(true),
    connectedAt: integer("connected_at").notNull(),
    lastSeenAt: integer("last_seen_at").notNull(),
    waitMs: integer("wait_ms").notNull().default(0),
    runs: text("runs", { mode: "json" }).$type<AgentRunReport[]>().notNull(),
  },
  (t) => [uniqueIndex("agents_pool_name_idx").on(t.poolId, t.name)],
);

export const webhooks = sqliteTable(
  "webhooks",
  {
    id: text("id").primaryKey(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    envId: text("env_id"),
    url: text("url").notNull(),
    events: text("events", { mode: "json" }).$type<WebhookEvent[]>().notNull(),
    format: text("format").$type<WebhookFormat>().notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    secretCiphertext: text("secret_ciphertext").notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("webhooks_scope_idx").on(t.accountId, t.orgId, t.projectId)],
);

export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    deliveryId: text("delivery_id").notNull(),
    webhookId: text("webhook_id").notNull(),
    event: text("event").$type<WebhookEvent>().notNull(),
    runId: text("run_id").notNull(),
    attempt: integer("attempt").notNull(),
    at: integer("at").notNull(),
    statusCode: integer("status_code"),
    error: text("error"),
    durationMs: integer("duration_ms").notNull(),
    nextAttemptAt: integer("next_attempt_at"),
  },
  (t) => [index("webhook_deliveries_hook_idx").on(t.webhookId, t.at)],
);

export const schedules = sqliteTable(
  "schedules",
  {
    id: text("id").primaryKey(),
    loadTestId: text("load_test_id").notNull(),
    accountId: text("account_id").notNull(),
    orgId: text("org_id").notNull(),
    projectId: text("project_id").notNull(),
    cron: text("cron").notNull(),
    timezone: text("timezone").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    overrides: text("overrides", { mode: "json" }).$type<ScheduleOverrides>().notNull(),
    thresholds: text("thresholds", { mode: "json" }).$type<ThresholdItem[]>(),
    nextRunAt: integer("next_run_at"),
    ticks: text("ticks", { mode: "json" }).$type<ScheduleTick[]>().notNull(),
    createdAt: integer("created_at").notNull(),
    createdBy: text("created_by").notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedBy: text("updated_by").notNull(),
  },
  (t) => [index("schedules_test_idx").on(t.loadTestId, t.createdAt)],
);
