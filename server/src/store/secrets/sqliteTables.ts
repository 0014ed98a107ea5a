import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

/* The table of secrets. */

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
