import type { Collection, Db } from "mongodb";
import { ensureIndexes } from "../../db/mongoShared.js";
import { type WebhookDelivery } from "@loadmgr/shared";
import { defined } from "../../db/mongoShared.js";
import { HIDDEN, withoutId } from "../mongo/mongoDocs.js";
import type { ScopeFilter } from "../paging.js";
import {
  MAX_DELIVERY_LOG,
  type WebhookChanges,
  type WebhookRecord,
  type WebhookRepository,
} from "./webhookRepository.js";
import { webhooksCollection, deliveriesCollection, type WebhookDoc, type DeliveryDoc } from "./mongoCollections.js";

export class MongoWebhooks implements WebhookRepository {
  private readonly webhooks: Collection<WebhookDoc>;
  private readonly deliveries: Collection<DeliveryDoc>;

  constructor(db: Db) {
    this.webhooks = webhooksCollection(db);
    this.deliveries = deliveriesCollection(db);
  }

  async init(): Promise<void> {
    await ensureIndexes(this.webhooks, [{ key: { accountId: 1, orgId: 1, projectId: 1 }, name: "scope_idx" }]);
    await ensureIndexes(this.deliveries, [{ key: { webhookId: 1, at: -1, _id: -1 }, name: "hook_idx" }]);
  }

  async create(webhook: WebhookRecord): Promise<void> {
    await this.webhooks.insertOne({ _id: webhook.id, ...webhook });
  }

  async get(id: string): Promise<WebhookRecord | undefined> {
    return (await this.webhooks.findOne({ _id: id }, HIDDEN)) ?? undefined;
  }

  async list(filter: ScopeFilter): Promise<WebhookRecord[]> {
    return this.webhooks
      .find(defined({ accountId: filter.accountId, orgId: filter.orgId, projectId: filter.projectId }), HIDDEN)
      .sort({ createdAt: 1, _id: 1 })
      .limit(1000)
      .toArray();
  }

  async update(id: string, changes: WebhookChanges): Promise<WebhookRecord | undefined> {
    // (No projection: FerretDB's findAndModify does not take one.)
    const updated = await this.webhooks.findOneAndUpdate({ _id: id }, { $set: changes }, { returnDocument: "after" });
    return withoutId(updated);
  }

  async delete(id: string): Promise<boolean> {
    const { deletedCount } = await this.webhooks.deleteOne({ _id: id });
    await this.deliveries.deleteMany({ webhookId: id });
    return deletedCount > 0;
  }

  async addDelivery(delivery: WebhookDelivery): Promise<void> {
    await this.deliveries.insertOne({ _id: delivery.id, ...delivery });
    const oldest = await this.deliveries
      .find({ webhookId: delivery.webhookId }, { projection: { at: 1 } })
      .sort({ at: -1, _id: -1 })
      .skip(MAX_DELIVERY_LOG - 1)
      .limit(1)
      .toArray();
    const edge = oldest[0];
    if (edge === undefined) return;
    await this.deliveries.deleteMany({
      webhookId: delivery.webhookId,
      $or: [{ at: { $lt: edge.at } }, { at: edge.at, _id: { $lt: edge._id } }],
    });
  }

  async listDeliveries(webhookId: string, limit: number): Promise<WebhookDelivery[]> {
    return this.deliveries.find({ webhookId }, HIDDEN).sort({ at: -1, _id: -1 }).limit(limit).toArray();
  }
}
