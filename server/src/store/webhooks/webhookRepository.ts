import type { Webhook, WebhookDelivery } from "@loadmgr/shared";
import type { ScopeFilter } from "../paging.js";

/** Attempts a webhook's delivery log keeps (the oldest go first). */
export const MAX_DELIVERY_LOG = 200;

/** A webhook as stored: its signing secret encrypted (secrets/secretBox.ts). */
export type WebhookRecord = Webhook & { secretCiphertext: string };
export type WebhookChanges = Partial<
  Pick<WebhookRecord, "url" | "events" | "envId" | "format" | "enabled" | "secretCiphertext">
> &
  Pick<Webhook, "updatedAt" | "updatedBy">;

/** Webhooks and the log of their deliveries. */
export interface WebhookRepository {
  create(webhook: WebhookRecord): Promise<void>;
  get(id: string): Promise<WebhookRecord | undefined>;
  /** Oldest first; at most 1,000. */
  list(filter: ScopeFilter): Promise<WebhookRecord[]>;
  update(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined>;
  /** Deletes the webhook and its delivery log; false when it did not exist. */
  delete(id: string): Promise<boolean>;
  /** Logs one attempt, keeping the newest MAX_DELIVERY_LOG of the webhook's. */
  addDelivery(delivery: WebhookDelivery): Promise<void>;
  /** Newest first (by time, then id). */
  listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]>;
}
