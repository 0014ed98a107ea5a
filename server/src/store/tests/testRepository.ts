import type { LoadTest, LoadTestFilter, Page, ScopeCount, ScriptRevision } from "@loadmgr/shared";
import type { PageRequest } from "../paging.js";

/** Fields of a test that `update` may change. */
export type LoadTestChanges = Partial<
  Pick<
    LoadTest,
    | "name"
    | "description"
    | "tags"
    | "envId"
    | "locustClusterId"
    | "agentPool"
    | "defaultWorkers"
    | "targetUrl"
    | "scenarioId"
    | "defaultUsers"
    | "defaultSpawnRate"
    | "defaultDurationSec"
    | "maxDurationSec"
    | "thresholds"
    | "autoStop"
    | "defaultStages"
    | "env"
    | "secrets"
    | "metadata"
  >
> &
  Pick<LoadTest, "updatedAt" | "updatedBy">;

export type NewScriptRevision = Omit<ScriptRevision, "revisionNumber">;

/** A file of a revision, as its bytes. */
export interface FileContent {
  path: string;
  content: Buffer;
}

/** Tests, their script revisions and the revisions' files. */
export interface TestRepository {
  /** Stores a new test together with its revision 1 and that revision's files (listed in its `files`). */
  create(test: LoadTest, firstRevision: ScriptRevision, files: FileContent[]): Promise<void>;
  get(id: string): Promise<LoadTest | undefined>;
  /** Newest first (createdAt, then id), filtered; `tags` matches any of them. */
  list(filter: LoadTestFilter, page: PageRequest): Promise<Page<LoadTest>>;
  update(id: string, changes: LoadTestChanges): Promise<LoadTest | undefined>;
  /** Deletes a test with its revisions, runs and schedules (their metrics are the metrics store's). False when it did not exist. */
  delete(id: string): Promise<boolean>;

  /**
   * Appends the next revision (numbers are 1, 2, 3… per test, gapless and never reused, also under
   * concurrent callers) and moves the test's latestRevisionId to it. Undefined when the test is gone.
   */
  addRevision(revision: NewScriptRevision, files: FileContent[]): Promise<ScriptRevision | undefined>;
  getRevision(loadTestId: string, revisionId: string): Promise<ScriptRevision | undefined>;
  /** The contents of a revision's files, those of `paths` only when given; a path it lacks is left out. */
  getFiles(revisionId: string, paths?: string[]): Promise<FileContent[]>;
  /** Newest first. */
  listRevisions(loadTestId: string, page: PageRequest): Promise<Page<ScriptRevision>>;

  /**
   * Each account/org/project/env in `filter` that holds a test, with its counts of tests and runs,
   * sorted by account, org, project, env (no env first).
   */
  countByScope(filter: Pick<LoadTestFilter, "accountId" | "orgId" | "projectId">): Promise<ScopeCount[]>;
}
