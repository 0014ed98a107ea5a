import type { PoolRepository } from "./pools/poolRepository.js";
import type { RunRepository } from "./runs/runRepository.js";
import type { ScheduleRepository } from "./schedules/scheduleRepository.js";
import type { SecretRepository } from "./secrets/secretRepository.js";
import type { TestRepository } from "./tests/testRepository.js";
import type { WebhookRepository } from "./webhooks/webhookRepository.js";

export type { PageRequest, ScopeFilter } from "./paging.js";
export type { AgentPoolRecord, AgentRecord, PoolRepository } from "./pools/poolRepository.js";
export type { LaunchChanges, PoolRunChanges, RunChanges, RunRepository } from "./runs/runRepository.js";
export type { ScheduleChanges, ScheduleRepository } from "./schedules/scheduleRepository.js";
export type { SecretRecord, SecretRepository, SecretScope } from "./secrets/secretRepository.js";
export type { FileContent, LoadTestChanges, NewScriptRevision, TestRepository } from "./tests/testRepository.js";
export {
  MAX_DELIVERY_LOG,
  type WebhookChanges,
  type WebhookRecord,
  type WebhookRepository,
} from "./webhooks/webhookRepository.js";

/**
 * The entity store: one repository per entity, each in its own folder with its SQLite and MongoDB
 * implementations and its contract suite (the metrics time series is the metrics store's,
 * metrics/metricsStore.ts). SqliteStore and MongoStore open the database and build the
 * repositories on it. Every method is safe under concurrent callers.
 */
export interface Store {
  readonly kind: "sqlite" | "mongodb";
  /** Creates tables/collections and indexes, and brings data stored by earlier versions up to date. Idempotent. */
  init(): Promise<void>;
  close(): Promise<void>;
  /** Throws when the backing database cannot be reached. */
  ping(): Promise<void>;

  readonly tests: TestRepository;
  readonly runs: RunRepository;
  readonly pools: PoolRepository;
  readonly secrets: SecretRepository;
  readonly webhooks: WebhookRepository;
  readonly schedules: ScheduleRepository;
}
