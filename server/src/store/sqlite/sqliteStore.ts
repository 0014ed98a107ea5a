import type Database from "better-sqlite3";
import { and, count, desc, eq, gte, inArray, isNotNull, isNull, lt, ne, or, sql, type SQL } from "drizzle-orm";
import { drizzle, type BetterSQLite3Database } from "drizzle-orm/better-sqlite3";
import {
  decideOutcome,
  ACTIVE_STATUSES,
  MAX_RECENT_RUNS,
  predecessorsOf,
  type LoadChange,
  type LoadTest,
  type LoadTestFilter,
  type LoadTestRun,
  type Page,
  type RunMetricsSummary,
  type RunFilter,
  type RunStatus,
  type ScopeCount,
  type ScriptRevision,
  MAX_SCHEDULE_TICKS,
  type Schedule,
  type ScheduleTick,
  type WebhookDelivery,
} from "@loadmgr/shared";
import { checkPaging, decodeCursor, toPage } from "../cursor.js";
import { mergeRecentRun, numberedRun, toRecentRun } from "../recentRuns.js";
import { joinScopeCounts } from "../scopeCounts.js";
import type {
  AgentPoolRecord,
  AgentRecord,
  FileContent,
  LaunchChanges,
  LoadTestChanges,
  NewScriptRevision,
  PageRequest,
  PoolRunChanges,
  RunChanges,
  ScopeFilter,
  SecretRecord,
  SecretScope,
  Store,
  ScheduleChanges,
  WebhookChanges,
  WebhookRecord,
} from "../store.js";
import { MAX_DELIVERY_LOG } from "../store.js";
import * as schema from "./schema.js";
import { lazy, migrateSqliteFile, openSqliteFile } from "./sqliteFile.js";
import {
  agentPools,
  agents,
  loadTestRuns,
  loadTests,
  scriptFiles,
  scriptRevisions,
  schedules,
  secrets,
  webhookDeliveries,
  webhooks,
} from "./schema.js";

type Db = BetterSQLite3Database<typeof schema>;
type SortedTable = typeof loadTests | typeof loadTestRuns;

function afterCursor(table: SortedTable, cursor: string | undefined): SQL | undefined {
  if (cursor === undefined) return undefined;
  const key = decodeCursor(cursor);
  return or(lt(table.createdAt, key.k), and(eq(table.createdAt, key.k), lt(table.id, key.id)));
}

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

/**
 * The embedded entity store (tests, revisions, runs): one SQLite file through drizzle-orm, shared
 * with the metrics store (its own connection). Every write is one synchronous transaction.
 */
export class SqliteStore implements Store {
  readonly kind = "sqlite";
  private readonly sqlite: Database.Database;
  private readonly db: Db;

  constructor(path: string) {
    this.sqlite = openSqliteFile(path);
    this.db = drizzle(this.sqlite, { schema });
  }

  async init(): Promise<void> {
    migrateSqliteFile(this.sqlite);
    // Runs that ended before runs had an outcome (0017): decided now, as at their end.
    const undecided = this.db
      .select({
        id: loadTestRuns.id,
        status: loadTestRuns.status,
        results: loadTestRuns.results,
        verdict: loadTestRuns.verdict,
      })
      .from(loadTestRuns)
      .where(
        and(
          isNull(loadTestRuns.outcome),
          inArray(loadTestRuns.status, ["Finished", "Stopped", "Failed"]),
          // (Runs from before results were kept cannot be judged: theirs stays null.)
          isNotNull(loadTestRuns.results),
        ),
      )
      .all();
    for (const run of undecided) {
      this.db
        .update(loadTestRuns)
        .set({ outcome: decideOutcome(run) })
        .where(eq(loadTestRuns.id, run.id))
        .run();
    }
    // Recent runs listed before their entries had numbers and results (0008 numbered the runs).
    const stale = this.db
      .select({ id: loadTests.id })
      .from(loadTests)
      .where(
        sql`json_array_length(${loadTests.recentRuns}) > 0 and json_extract(${loadTests.recentRuns}, '$[0].number') is null`,
      )
      .all();
    for (const { id } of stale) {
      const runs = this.db
        .select()
        .from(loadTestRuns)
        .where(eq(loadTestRuns.loadTestId, id))
        .orderBy(desc(loadTestRuns.createdAt), desc(loadTestRuns.id))
        .limit(MAX_RECENT_RUNS)
        .all();
      this.db
        .update(loadTests)
        .set({ recentRuns: runs.map(toRecentRun) })
        .where(eq(loadTests.id, id))
        .run();
    }
  }

  /** Prepared once: ingest moves lastMetrics on every push. */
  private readonly updateLastMetrics = lazy(() =>
    this.sqlite.prepare(
      `update load_test_runs set last_metrics = ?
         where id = ? and (last_metrics is null or json_extract(last_metrics, '$.seq') < ?)`,
    ),
  );

  async close(): Promise<void> {
    if (this.sqlite.open) this.sqlite.close();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare("select 1").get();
  }

  async createLoadTest(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void> {
    this.db.transaction(
      (tx) => {
        tx.insert(scriptRevisions).values(firstRevision).run();
        for (const file of files) {
          tx.insert(scriptFiles)
            .values({ ...file, revisionId: firstRevision.id, loadTestId: test.id })
            .run();
        }
        tx.insert(loadTests).values(test).run();
      },
      { behavior: "immediate" },
    );
  }

  async getLoadTest(id: string): Promise<LoadTest | undefined> {
    return this.db.select().from(loadTests).where(eq(loadTests.id, id)).get();
  }

  async listLoadTests(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>> {
    checkPaging(page);
    const where = and(
      filter.accountId !== undefined ? eq(loadTests.accountId, filter.accountId) : undefined,
      filter.orgId !== undefined ? eq(loadTests.orgId, filter.orgId) : undefined,
      filter.projectId !== undefined ? eq(loadTests.projectId, filter.projectId) : undefined,
      filter.envId !== undefined ? eq(loadTests.envId, filter.envId) : undefined,
      filter.tags !== undefined && filter.tags.length > 0
        ? sql`exists (select 1 from json_each(${loadTests.tags}) where json_each.value in (${sql.join(
            filter.tags.map((t) => sql`${t}`),
            sql`, `,
          )}))`
        : undefined,
      afterCursor(loadTests, page.cursor),
    );
    const rows = this.db
      .select()
      .from(loadTests)
      .where(where)
      .orderBy(desc(loadTests.createdAt), desc(loadTests.id))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (t) => ({ k: t.createdAt, id: t.id }));
  }

  async updateLoadTest(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined> {
    return this.db.update(loadTests).set(changes).where(eq(loadTests.id, id)).returning().get();
  }

  async deleteLoadTest(id: string): Promise<boolean> {
    const deleted = this.db.transaction(
      (tx) => {
        const removed = tx.delete(loadTests).where(eq(loadTests.id, id)).run().changes > 0;
        tx.delete(scriptRevisions).where(eq(scriptRevisions.loadTestId, id)).run();
        tx.delete(scriptFiles).where(eq(scriptFiles.loadTestId, id)).run();
        tx.delete(loadTestRuns).where(eq(loadTestRuns.loadTestId, id)).run();
        tx.delete(schedules).where(eq(schedules.loadTestId, id)).run();
        return removed;
      },
      { behavior: "immediate" },
    );
    return deleted;
  }

  async addScriptRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined> {
    const stored = this.db.transaction(
      (tx) => {
        const test = tx
          .select({ latest: loadTests.latestRevisionNumber })
          .from(loadTests)
          .where(eq(loadTests.id, revision.loadTestId))
          .get();
        if (test === undefined) return undefined;
        const row: ScriptRevision = { ...revision, revisionNumber: test.latest + 1 };
        tx.insert(scriptRevisions).values(row).run();
        for (const file of files) {
          tx.insert(scriptFiles)
            .values({ ...file, revisionId: row.id, loadTestId: row.loadTestId })
            .run();
        }
        tx.update(loadTests)
          .set({
            latestRevisionId: row.id,
            latestRevisionNumber: row.revisionNumber,
            updatedAt: row.createdAt,
            updatedBy: row.createdBy,
          })
          .where(eq(loadTests.id, revision.loadTestId))
          .run();
        return row;
      },
      { behavior: "immediate" },
    );
    return stored;
  }

  async getScriptRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined> {
    return this.db
      .select()
      .from(scriptRevisions)
      .where(and(eq(scriptRevisions.loadTestId, loadTestId), eq(scriptRevisions.id, revisionId)))
      .get();
  }

  async getScriptFiles(revisionId: string, paths?: string[]): Promise<FileContent[]> {
    if (paths?.length === 0) return [];
    return this.db
      .select({ path: scriptFiles.path, content: scriptFiles.content })
      .from(scriptFiles)
      .where(
        and(eq(scriptFiles.revisionId, revisionId), paths !== undefined ? inArray(scriptFiles.path, paths) : undefined),
      )
      .orderBy(scriptFiles.path)
      .all();
  }

  async listScriptRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>> {
    checkPaging(page);
    const before = page.cursor !== undefined ? decodeCursor(page.cursor).k : undefined;
    const rows = this.db
      .select()
      .from(scriptRevisions)
      .where(
        and(
          eq(scriptRevisions.loadTestId, loadTestId),
          before !== undefined ? lt(scriptRevisions.revisionNumber, before) : undefined,
        ),
      )
      .orderBy(desc(scriptRevisions.revisionNumber))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (r) => ({ k: r.revisionNumber, id: r.id }));
  }

  async createRun(run: LoadTestRun): Promise<LoadTestRun | undefined> {
    const created = this.db.transaction(
      (tx) => {
        const test = tx
          .select({ recentRuns: loadTests.recentRuns, runCount: loadTests.runCount })
          .from(loadTests)
          .where(eq(loadTests.id, run.loadTestId))
          .get();
        if (test === undefined) return undefined;
        const stored = numberedRun(run, test.runCount + 1);
        tx.insert(loadTestRuns).values(stored).run();
        tx.update(loadTests)
          .set({ recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(stored)), runCount: stored.number })
          .where(eq(loadTests.id, run.loadTestId))
          .run();
        return stored;
      },
      { behavior: "immediate" },
    );
    return created;
  }

  /** Prepared once: ingest reads the run on every push. */
  private readonly runById = lazy(() =>
    this.db
      .select()
      .from(loadTestRuns)
      .where(eq(loadTestRuns.id, sql.placeholder("id")))
      .prepare(),
  );

  async getRun(id: string): Promise<LoadTestRun | undefined> {
    return this.runById().get({ id });
  }

  async listRuns(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
    checkPaging(page);
    const where = and(
      filter.loadTestId !== undefined ? eq(loadTestRuns.loadTestId, filter.loadTestId) : undefined,
      filter.accountId !== undefined ? eq(loadTestRuns.accountId, filter.accountId) : undefined,
      filter.orgId !== undefined ? eq(loadTestRuns.orgId, filter.orgId) : undefined,
      filter.projectId !== undefined ? eq(loadTestRuns.projectId, filter.projectId) : undefined,
      filter.envId !== undefined ? eq(loadTestRuns.envId, filter.envId) : undefined,
      filter.status !== undefined ? eq(loadTestRuns.status, filter.status) : undefined,
      filter.outcome !== undefined ? eq(loadTestRuns.outcome, filter.outcome) : undefined,
      filter.tag !== undefined
        ? sql`exists (select 1 from json_each(${loadTestRuns.tags}) where json_each.value = ${filter.tag})`
        : undefined,
      filter.createdFrom !== undefined ? gte(loadTestRuns.createdAt, filter.createdFrom) : undefined,
      afterCursor(loadTestRuns, page.cursor),
    );
    const rows = this.db
      .select()
      .from(loadTestRuns)
      .where(where)
      .orderBy(desc(loadTestRuns.createdAt), desc(loadTestRuns.id))
      .limit(page.limit + 1)
      .offset(page.offset ?? 0)
      .all();
    return toPage(rows, page.limit, (r) => ({ k: r.createdAt, id: r.id }));
  }

  async setRunBaseline(
    id: string,
    on: boolean,
    changes: Pick<LoadTestRun, "updatedAt" | "updatedBy">,
  ): Promise<LoadTestRun | undefined> {
    return this.db.transaction(
      (tx) => {
        const run = tx.select().from(loadTestRuns).where(eq(loadTestRuns.id, id)).get();
        if (run === undefined) return undefined;
        if (on) {
          tx.update(loadTestRuns)
            .set({ baseline: false, ...changes })
            .where(
              and(
                eq(loadTestRuns.loadTestId, run.loadTestId),
                sameEnv(run.envId),
                eq(loadTestRuns.baseline, true),
                ne(loadTestRuns.id, id),
              ),
            )
            .run();
        }
        tx.update(loadTestRuns)
          .set({ baseline: on, ...changes })
          .where(eq(loadTestRuns.id, id))
          .run();
        return { ...run, baseline: on, ...changes };
      },
      { behavior: "immediate" },
    );
  }

  async findBaselineRun(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined> {
    return this.db
      .select()
      .from(loadTestRuns)
      .where(and(eq(loadTestRuns.loadTestId, loadTestId), sameEnv(envId), eq(loadTestRuns.baseline, true)))
      .get();
  }

  async countRunsByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = this.db
      .select({ status: loadTestRuns.status, n: count() })
      .from(loadTestRuns)
      .groupBy(loadTestRuns.status)
      .all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async countActiveRuns(loadTestId: string): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(loadTestRuns)
      .where(and(eq(loadTestRuns.loadTestId, loadTestId), inArray(loadTestRuns.status, [...ACTIVE_STATUSES])))
      .get();
    return row?.n ?? 0;
  }

  async transitionRun(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
    const updated = this.db.transaction(
      (tx) => {
        const run = tx
          .update(loadTestRuns)
          .set({ ...changes, status: to })
          .where(and(eq(loadTestRuns.id, id), inArray(loadTestRuns.status, predecessorsOf(to))))
          .returning()
          .get();
        if (run === undefined) return undefined;
        const test = tx
          .select({ recentRuns: loadTests.recentRuns })
          .from(loadTests)
          .where(eq(loadTests.id, run.loadTestId))
          .get();
        if (test !== undefined) {
          tx.update(loadTests)
            .set({ recentRuns: mergeRecentRun(test.recentRuns, toRecentRun(run)) })
            .where(eq(loadTests.id, run.loadTestId))
            .run();
        }
        return run;
      },
      { behavior: "immediate" },
    );
    return updated;
  }

  async markRunLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set(changes)
      .where(and(eq(loadTestRuns.id, id), eq(loadTestRuns.status, "Pending"), isNull(loadTestRuns.launchedAt)))
      .returning()
      .get();
  }

  async listActiveRuns(): Promise<LoadTestRun[]> {
    return this.db
      .select()
      .from(loadTestRuns)
      .where(inArray(loadTestRuns.status, [...ACTIVE_STATUSES]))
      .orderBy(loadTestRuns.createdAt, loadTestRuns.id)
      .all();
  }

  async countByScope(filter: Pick<LoadTestFilter, "accountId" | "orgId" | "projectId">): Promise<ScopeCount[]> {
    const where = <T extends typeof loadTests | typeof loadTestRuns>(table: T) =>
      and(
        filter.accountId !== undefined ? eq(table.accountId, filter.accountId) : undefined,
        filter.orgId !== undefined ? eq(table.orgId, filter.orgId) : undefined,
        filter.projectId !== undefined ? eq(table.projectId, filter.projectId) : undefined,
      );
    const group = <T extends typeof loadTests | typeof loadTestRuns>(table: T) =>
      this.db
        .select({
          accountId: table.accountId,
          orgId: table.orgId,
          projectId: table.projectId,
          envId: table.envId,
          n: count(),
        })
        .from(table)
        .where(where(table))
        .groupBy(table.accountId, table.orgId, table.projectId, table.envId)
        .all();
    return joinScopeCounts(group(loadTests), group(loadTestRuns));
  }

  async addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set({ loadChanges: sql`json_insert(${loadTestRuns.loadChanges}, '$[#]', json(${JSON.stringify(change)}))` })
      .where(and(eq(loadTestRuns.id, runId), eq(loadTestRuns.status, "Running")))
      .returning()
      .get();
  }

  async setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void> {
    this.updateLastMetrics().run(JSON.stringify(summary), runId, summary.seq);
  }

  async updatePoolRun(id: string, changes: PoolRunChanges, unlaunched: boolean): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set(changes)
      .where(
        and(
          eq(loadTestRuns.id, id),
          unlaunched
            ? and(eq(loadTestRuns.status, "Pending"), isNull(loadTestRuns.launchedAt))
            : inArray(loadTestRuns.status, [...ACTIVE_STATUSES]),
        ),
      )
      .returning()
      .get();
  }

  async placePoolRun(
    id: string,
    poolId: string,
    decide: (poolRuns: LoadTestRun[]) => PoolRunChanges | undefined,
  ): Promise<LoadTestRun | undefined> {
    // One immediate transaction: no other placement (or any write) comes between the read and the write.
    return this.db.transaction(
      (tx) => {
        const poolRuns = tx
          .select()
          .from(loadTestRuns)
          .where(and(eq(loadTestRuns.agentPool, poolId), inArray(loadTestRuns.status, [...ACTIVE_STATUSES])))
          .orderBy(loadTestRuns.createdAt, loadTestRuns.id)
          .all();
        const changes = decide(poolRuns);
        if (changes === undefined) return undefined;
        return tx
          .update(loadTestRuns)
          .set(changes)
          .where(and(eq(loadTestRuns.id, id), eq(loadTestRuns.status, "Pending"), isNull(loadTestRuns.launchedAt)))
          .returning()
          .get();
      },
      { behavior: "immediate" },
    );
  }

  async createAgentPool(pool: AgentPoolRecord): Promise<void> {
    this.db.insert(agentPools).values(pool).run();
  }

  async getAgentPool(id: string): Promise<AgentPoolRecord | undefined> {
    return this.db.select().from(agentPools).where(eq(agentPools.id, id)).get();
  }

  async listAgentPools(filter: ScopeFilter): Promise<AgentPoolRecord[]> {
    return this.db
      .select()
      .from(agentPools)
      .where(
        and(
          filter.accountId !== undefined ? eq(agentPools.accountId, filter.accountId) : undefined,
          filter.orgId !== undefined ? eq(agentPools.orgId, filter.orgId) : undefined,
          filter.projectId !== undefined ? eq(agentPools.projectId, filter.projectId) : undefined,
        ),
      )
      .orderBy(agentPools.createdAt, agentPools.id)
      .limit(1000)
      .all();
  }

  async setAgentPoolToken(
    id: string,
    tokenHash: string | null,
    at: number,
    retiredTokenHash: string | null = null,
  ): Promise<AgentPoolRecord | undefined> {
    return this.db
      .update(agentPools)
      .set({ tokenHash, retiredTokenHash, tokenRotatedAt: at })
      .where(eq(agentPools.id, id))
      .returning()
      .get();
  }

  async saveAgent(agent: AgentRecord): Promise<void> {
    const { id, ...rest } = agent;
    this.db.insert(agents).values(agent).onConflictDoUpdate({ target: agents.id, set: rest }).run();
  }

  async getAgent(id: string): Promise<AgentRecord | undefined> {
    return this.db.select().from(agents).where(eq(agents.id, id)).get();
  }

  async findAgent(poolId: string, name: string): Promise<AgentRecord | undefined> {
    return this.db
      .select()
      .from(agents)
      .where(and(eq(agents.poolId, poolId), eq(agents.name, name)))
      .get();
  }

  async deleteAgent(id: string): Promise<boolean> {
    return this.db.delete(agents).where(eq(agents.id, id)).run().changes > 0;
  }

  async deleteAgentPool(id: string): Promise<boolean> {
    return this.db.transaction((tx) => {
      tx.delete(agents).where(eq(agents.poolId, id)).run();
      return tx.delete(agentPools).where(eq(agentPools.id, id)).run().changes > 0;
    });
  }

  async listAgents(poolIds: string[]): Promise<AgentRecord[]> {
    if (poolIds.length === 0) return [];
    return this.db
      .select()
      .from(agents)
      .where(inArray(agents.poolId, poolIds))
      .orderBy(agents.poolId, agents.name)
      .all();
  }

  async putSecret(secret: SecretRecord): Promise<boolean> {
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

  async listSecrets(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]> {
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

  async deleteSecret(scope: SecretScope, envId: string | null, name: string): Promise<boolean> {
    return (
      this.db
        .delete(secrets)
        .where(secretKey(scope, envId, name))
        .run().changes > 0
    );
  }
  async createWebhook(webhook: WebhookRecord): Promise<void> {
    this.db.insert(webhooks).values(webhook).run();
  }

  async getWebhook(id: string): Promise<WebhookRecord | undefined> {
    return this.db.select().from(webhooks).where(eq(webhooks.id, id)).get();
  }

  async listWebhooks(filter: ScopeFilter): Promise<WebhookRecord[]> {
    return this.db
      .select()
      .from(webhooks)
      .where(
        and(
          filter.accountId !== undefined ? eq(webhooks.accountId, filter.accountId) : undefined,
          filter.orgId !== undefined ? eq(webhooks.orgId, filter.orgId) : undefined,
          filter.projectId !== undefined ? eq(webhooks.projectId, filter.projectId) : undefined,
        ),
      )
      .orderBy(webhooks.createdAt, webhooks.id)
      .limit(1000)
      .all();
  }

  async updateWebhook(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined> {
    return this.db.update(webhooks).set(changes).where(eq(webhooks.id, id)).returning().get();
  }

  async deleteWebhook(id: string): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id)).run();
        return tx.delete(webhooks).where(eq(webhooks.id, id)).run().changes > 0;
      },
      { behavior: "immediate" },
    );
  }

  async addWebhookDelivery(delivery: WebhookDelivery): Promise<void> {
    this.db.transaction(
      (tx) => {
        tx.insert(webhookDeliveries).values(delivery).run();
        const oldest = tx
          .select({ at: webhookDeliveries.at, id: webhookDeliveries.id })
          .from(webhookDeliveries)
          .where(eq(webhookDeliveries.webhookId, delivery.webhookId))
          .orderBy(desc(webhookDeliveries.at), desc(webhookDeliveries.id))
          .limit(1)
          .offset(MAX_DELIVERY_LOG - 1)
          .get();
        if (oldest === undefined) return;
        tx.delete(webhookDeliveries)
          .where(
            and(
              eq(webhookDeliveries.webhookId, delivery.webhookId),
              or(
                lt(webhookDeliveries.at, oldest.at),
                and(eq(webhookDeliveries.at, oldest.at), lt(webhookDeliveries.id, oldest.id)),
              ),
            ),
          )
          .run();
      },
      { behavior: "immediate" },
    );
  }

  async listWebhookDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId))
      .orderBy(desc(webhookDeliveries.at), desc(webhookDeliveries.id))
      .limit(limit)
      .all();
  }
  async createSchedule(schedule: Schedule): Promise<void> {
    this.db.insert(schedules).values(schedule).run();
  }

  async getSchedule(id: string): Promise<Schedule | undefined> {
    return this.db.select().from(schedules).where(eq(schedules.id, id)).get();
  }

  async listSchedules(loadTestId?: string): Promise<Schedule[]> {
    return this.db
      .select()
      .from(schedules)
      .where(loadTestId !== undefined ? eq(schedules.loadTestId, loadTestId) : undefined)
      .orderBy(schedules.createdAt, schedules.id)
      .limit(1000)
      .all();
  }

  async updateSchedule(id: string, changes: ScheduleChanges): Promise<Schedule | undefined> {
    return this.db.update(schedules).set(changes).where(eq(schedules.id, id)).returning().get();
  }

  async deleteSchedule(id: string): Promise<boolean> {
    return this.db.delete(schedules).where(eq(schedules.id, id)).run().changes > 0;
  }

  async recordScheduleTick(id: string, tick: ScheduleTick, nextRunAt: number | null): Promise<Schedule | undefined> {
    return this.db.transaction(
      (tx) => {
        const current = tx.select({ ticks: schedules.ticks }).from(schedules).where(eq(schedules.id, id)).get();
        if (current === undefined) return undefined;
        const ticks = [tick, ...current.ticks].slice(0, MAX_SCHEDULE_TICKS);
        return tx.update(schedules).set({ ticks, nextRunAt }).where(eq(schedules.id, id)).returning().get();
      },
      { behavior: "immediate" },
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

/** Runs of that env; null matches runs without one. */
const sameEnv = (envId: string | null) => (envId === null ? isNull(loadTestRuns.envId) : eq(loadTestRuns.envId, envId));
