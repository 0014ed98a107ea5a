import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { WebhookEvent, WebhookFormat } from "@loadmgr/shared";

/* The tables of webhooks and their delivery logs. */

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
