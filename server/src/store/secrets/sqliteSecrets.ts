import { and, eq, inArray, type SQL } from "drizzle-orm";
import { type SqliteDb } from "../sqlite/sqliteDb.js";
import { secrets } from "./sqliteTables.js";
import { type SecretRecord, type SecretScope, type SecretRepository } from "./secretRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqliteSecrets implements SecretRepository {
  constructor(private readonly db: SqliteDb) {}

  async put(secret: SecretRecord): Promise<boolean> {
    const { envId, ...rest } = secret;
    const row = { ...rest, scopeEnv: envId ?? "" };
    const inserted = this.db.insert(secrets).values(row).onConflictDoNothing().run().changes;
    if (inserted > 0) return true;
    this.db
      .update(secrets)
      .set({ ciphertext: row.ciphertext, updatedAt: row.updatedAt, updatedBy: row.updatedBy })
      .where(secretKey(secret, envId, secret.name))
      .run();
    return false;
  }

  async list(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]> {
    const rows = this.db
      .select()
      .from(secrets)
      .where(
        and(
          eq(secrets.accountId, scope.accountId),
          eq(secrets.orgId, scope.orgId),
          eq(secrets.projectId, scope.projectId),
          envId === undefined ? undefined : inArray(secrets.scopeEnv, envId === null ? [""] : ["", envId]),
        ),
      )
      .orderBy(secrets.name, secrets.scopeEnv)
      .limit(10_000)
      .all();
    return rows.map(({ scopeEnv, ...row }) => ({ ...row, envId: scopeEnv === "" ? null : scopeEnv }));
  }

  async delete(scope: SecretScope, envId: string | null, name: string): Promise<boolean> {
    return (
      this.db
        .delete(secrets)
        .where(secretKey(scope, envId, name))
        .run().changes > 0
    );
  }
}

function secretKey(scope: SecretScope, envId: string | null, name: string): SQL | undefined {
  return and(
    eq(secrets.accountId, scope.accountId),
    eq(secrets.orgId, scope.orgId),
    eq(secrets.projectId, scope.projectId),
    eq(secrets.scopeEnv, envId ?? ""),
    eq(secrets.name, name),
  );
}
