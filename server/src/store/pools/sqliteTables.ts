import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import type { AgentRunReport, Labels } from "@loadmgr/shared";

/* The tables of agent pools and their agents. */

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
