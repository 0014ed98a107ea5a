import { and, desc, eq, lt, or } from "drizzle-orm";
import { type WebhookDelivery } from "@loadmgr/shared";
import type { ScopeFilter } from "../paging.js";
import { type SqliteDb } from "../sqlite/sqliteDb.js";
import { webhooks, webhookDeliveries } from "./sqliteTables.js";
import {
  MAX_DELIVERY_LOG,
  type WebhookChanges,
  type WebhookRecord,
  type WebhookRepository,
} from "./webhookRepository.js";

/* eslint-disable @typescript-eslint/require-await --
   better-sqlite3 is synchronous; the methods stay async so failures reach callers as rejections. */

export class SqliteWebhooks implements WebhookRepository {
  constructor(private readonly db: SqliteDb) {}

  async create(webhook: WebhookRecord): Promise<void> {
    this.db.insert(webhooks).values(webhook).run();
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    return this.db.select().from(webhooks).where(eq(webhooks.id, id)).get();
  }

  async list(filter: ScopeFilter): Promise<WebhookRecord[]> {
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

  async update(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined> {
    return this.db.update(webhooks).set(changes).where(eq(webhooks.id, id)).returning().get();
  }

  async delete(id: string): Promise<boolean> {
    return this.db.transaction(
      (tx) => {
        tx.delete(webhookDeliveries).where(eq(webhookDeliveries.webhookId, id)).run();
        return tx.delete(webhooks).where(eq(webhooks.id, id)).run().changes > 0;
      },
      { behavior: "immediate" },
    );
  }

  async addDelivery(delivery: WebhookDelivery): Promise<void> {
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

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.webhookId, webhookId))
      .orderBy(desc(webhookDeliveries.at), desc(webhookDeliveries.id))
      .limit(limit)
      .all();
  }
}
