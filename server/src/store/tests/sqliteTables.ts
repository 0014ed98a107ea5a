import { sql } from "drizzle-orm";
import { blob, index, integer, primaryKey, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type {
  AutoStop,
  Metadata,
  RecentRun,
  ScriptFileInfo,
  Stage,
  RegressionRule,
  ThresholdItem,
} from "@loadmgr/shared";

/* The tables of tests, their revisions and the revisions' files. */

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
    metadata: text("metadata", { mode: "json" }).$type<Metadata>().notNull(),
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
