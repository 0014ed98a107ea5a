import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type {
  AutoStop,
  Labels,
  Metadata,
  RegionShare,
  PlacementEntry,
  RunWarning,
  LoadChange,
  RunOutcome,
  Stage,
  RunMetricsSummary,
  RunResults,
  RunStatus,
  RunTrigger,
  RunVerdict,
  ThresholdItem,
} from "@loadmgr/shared";

/* The table of runs. */

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
    durationSec: integer("duration_sec").notNull(),
    /** Deprecated: durationSec again, under the name the API once had (it still says it). */
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
    metadata: text("metadata", { mode: "json" }).$type<Metadata>().notNull(),
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
