import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { ThresholdItem, ScheduleOverrides, ScheduleTick } from "@loadmgr/shared";

/* The table of schedules. */

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
