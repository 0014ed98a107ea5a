import { and, count, desc, eq, inArray, lt, sql } from "drizzle-orm";
import {
  MAX_RECENT_RUNS,
  type LoadTest,
  type LoadTestFilter,
  type Page,
  type ScopeCount,
  type ScriptRevision,
} from "@loadmgr/shared";
import { toRecentRun } from "../runs/recentRuns.js";
import { checkPaging, decodeCursor, toPage } from "../cursor.js";
import type { PageRequest } from "../paging.js";
import { joinScopeCounts } from "../scopeCounts.js";
import { type SqliteDb, afterCursor } from "../sqlite/sqliteDb.js";
import { loadTests, scriptRevisions, scriptFiles } from "./sqliteTables.js";
import { loadTestRuns } from "../runs/sqliteTables.js";
import { schedules } from "../schedules/sqliteTables.js";
import {
  type FileContent,
  type LoadTestChanges,
  type NewScriptRevision,
  type TestRepository,
} from "./testRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqliteTests implements TestRepository {
  constructor(private readonly db: SqliteDb) {}

  /** Brings tests stored by earlier versions up to date (after the migrations and the runs' upgrade). */
  upgrade(): void {
    // Recent runs listed before their entries had numbers and results (0008 numbered the runs), or
    // before a run's duration was durationSec (0024).
    const stale = this.db
      .select({ id: loadTests.id })
      .from(loadTests)
      .where(
        sql`json_array_length(${loadTests.recentRuns}) > 0 and (json_extract(${loadTests.recentRuns}, '$[0].number') is null or json_extract(${loadTests.recentRuns}, '$[0].durationSec') is null)`,
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

  async create(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void> {
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

  async get(id: string): Promise<LoadTest | undefined> {
    return this.db.select().from(loadTests).where(eq(loadTests.id, id)).get();
  }

  async list(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>> {
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

  async update(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined> {
    return this.db.update(loadTests).set(changes).where(eq(loadTests.id, id)).returning().get();
  }

  async delete(id: string): Promise<boolean> {
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

  async addRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined> {
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

  async getRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined> {
    return this.db
      .select()
      .from(scriptRevisions)
      .where(and(eq(scriptRevisions.loadTestId, loadTestId), eq(scriptRevisions.id, revisionId)))
      .get();
  }

  async getFiles(revisionId: string, paths?: string[]): Promise<FileContent[]> {
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

  async listRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>> {
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
}
