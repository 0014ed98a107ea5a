import type { Collection, Db } from "mongodb";
import type { WebhookDelivery } from "@loadmgr/shared";
import type { WebhookRecord } from "./webhookRepository.js";

/** Documents keep the entity's `id` as `_id` too. */
export type WebhookDoc = WebhookRecord & { _id: string };
export type DeliveryDoc = WebhookDelivery & { _id: string };

export const webhooksCollection = (db: Db): Collection<WebhookDoc> => db.collection("webhooks");

export const deliveriesCollection = (db: Db): Collection<DeliveryDoc> => db.collection("webhook_deliveries");
