import type Database from "better-sqlite3";
import { and, count, desc, eq, gte, inArray, isNotNull, isNull, ne, sql } from "drizzle-orm";
import {
  ACTIVE_STATUSES,
  decideOutcome,
  predecessorsOf,
  type LoadChange,
  type LoadTestRun,
  type Page,
  type RunMetricsSummary,
  type RunFilter,
  type RunStatus,
} from "@loadmgr/shared";
import { checkPaging, toPage } from "../cursor.js";
import type { PageRequest } from "../paging.js";
import { mergeRecentRun, numberedRun, toRecentRun } from "./recentRuns.js";
import { lazy } from "../../db/sqliteFile.js";
import { type SqliteDb, afterCursor } from "../sqlite/sqliteDb.js";
import { loadTests } from "../tests/sqliteTables.js";
import { loadTestRuns } from "./sqliteTables.js";
import { type LaunchChanges, type PoolRunChanges, type RunChanges, type RunRepository } from "./runRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqliteRuns implements RunRepository {
  constructor(
    private readonly db: SqliteDb,
    private readonly sqlite: Database.Database,
  ) {}

  /** Brings runs stored by earlier versions up to date (after the migrations). */
  upgrade(): void {
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
  }

  /** Prepared once: ingest reads the run on every push. */
  private readonly runById = lazy(() =>
    this.db
      .select()
      .from(loadTestRuns)
      .where(eq(loadTestRuns.id, sql.placeholder("id")))
      .prepare(),
  );

  /** Prepared once: ingest moves lastMetrics on every push. */
  private readonly updateLastMetrics = lazy(() =>
    this.sqlite.prepare(
      `update load_test_runs set last_metrics = ?
         where id = ? and (last_metrics is null or json_extract(last_metrics, '$.seq') < ?)`,
    ),
  );

  async create(run: LoadTestRun): Promise<LoadTestRun | undefined> {
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

  async get(id: string): Promise<LoadTestRun | undefined> {
    return this.runById().get({ id });
  }

  async list(filter: RunFilter, page: PageRequest): Promise<Page<LoadTestRun>> {
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

  async countActive(loadTestId: string): Promise<number> {
    const row = this.db
      .select({ n: count() })
      .from(loadTestRuns)
      .where(and(eq(loadTestRuns.loadTestId, loadTestId), inArray(loadTestRuns.status, [...ACTIVE_STATUSES])))
      .get();
    return row?.n ?? 0;
  }

  async countByStatus(): Promise<Partial<Record<RunStatus, number>>> {
    const rows = this.db
      .select({ status: loadTestRuns.status, n: count() })
      .from(loadTestRuns)
      .groupBy(loadTestRuns.status)
      .all();
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  }

  async transition(id: string, to: RunStatus, changes: RunChanges): Promise<LoadTestRun | undefined> {
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

  async setBaseline(
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

  async findBaseline(loadTestId: string, envId: string | null): Promise<LoadTestRun | undefined> {
    return this.db
      .select()
      .from(loadTestRuns)
      .where(and(eq(loadTestRuns.loadTestId, loadTestId), sameEnv(envId), eq(loadTestRuns.baseline, true)))
      .get();
  }

  async markLaunched(id: string, changes: LaunchChanges): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set(changes)
      .where(and(eq(loadTestRuns.id, id), eq(loadTestRuns.status, "Pending"), isNull(loadTestRuns.launchedAt)))
      .returning()
      .get();
  }

  async listActive(): Promise<LoadTestRun[]> {
    return this.db
      .select()
      .from(loadTestRuns)
      .where(inArray(loadTestRuns.status, [...ACTIVE_STATUSES]))
      .orderBy(loadTestRuns.createdAt, loadTestRuns.id)
      .all();
  }

  async setLastMetrics(runId: string, summary: RunMetricsSummary): Promise<void> {
    this.updateLastMetrics().run(JSON.stringify(summary), runId, summary.seq);
  }

  async addLoadChange(runId: string, change: LoadChange): Promise<LoadTestRun | undefined> {
    return this.db
      .update(loadTestRuns)
      .set({ loadChanges: sql`json_insert(${loadTestRuns.loadChanges}, '$[#]', json(${JSON.stringify(change)}))` })
      .where(and(eq(loadTestRuns.id, runId), eq(loadTestRuns.status, "Running")))
      .returning()
      .get();
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
}

/** Runs of that env; null matches runs without one. */
const sameEnv = (envId: string | null) => (envId === null ? isNull(loadTestRuns.envId) : eq(loadTestRuns.envId, envId));
