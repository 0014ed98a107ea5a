import { z } from "zod";
import { actorSchema, entityIdSchema, scopeIdSchema, targetUrlSchema, timestampSchema } from "./fields.js";
import { WEBHOOK_EVENTS } from "./webhookEvents.js";

export * from "./webhookEvents.js";

export const webhookEventSchema = z.enum(WEBHOOK_EVENTS);

/** json: the event as JSON (signed); slack: a Slack-compatible {text, blocks} message (signed too). */
export const WEBHOOK_FORMATS = ["json", "slack"] as const;
export type WebhookFormat = (typeof WEBHOOK_FORMATS)[number];

/** Attempts per delivery, the first included; then it is given up (and logged so). */
export const MAX_WEBHOOK_ATTEMPTS = 5;
export const MIN_WEBHOOK_SECRET = 16;

export const webhookSchema = z.object({
  id: entityIdSchema,
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable().describe("only runs in this env; null: every run of the project"),
  url: z.string(),
  events: z.array(webhookEventSchema),
  format: z.enum(WEBHOOK_FORMATS),
  enabled: z.boolean(),
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
});
export type Webhook = z.infer<typeof webhookSchema>;

const eventsSchema = z
  .array(webhookEventSchema)
  .min(1, "name at least one event")
  .max(WEBHOOK_EVENTS.length)
  .refine((events) => new Set(events).size === events.length, "each event once");

const secretSchema = z
  .string()
  .min(MIN_WEBHOOK_SECRET)
  .max(256)
  .describe("signs each delivery (X-LoadManager-Signature: sha256=<hex HMAC-SHA256 of the body>)");

const webhookUrlSchema = targetUrlSchema
  .max(2000)
  .describe(
    "where deliveries are POSTed; loopback, link-local and private addresses are refused unless webhooks.allowPrivateTargets",
  );

export const createWebhookInputSchema = z.strictObject({
  url: webhookUrlSchema,
  events: eventsSchema,
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.optional().describe("only runs in this env; default: every run of the project"),
  secret: secretSchema.optional().describe("default: one is made and shown in this answer only"),
  format: z.enum(WEBHOOK_FORMATS).default("json"),
  enabled: z.boolean().default(true),
  createdBy: actorSchema.optional(),
});
export type CreateWebhookInput = z.infer<typeof createWebhookInputSchema>;

/** A webhook as created: its signing secret in this answer only when the server made it. */
export const createdWebhookSchema = webhookSchema.extend({
  secret: z.string().nullable().describe("the signing secret the server made: shown this once; null when you gave one"),
});

export const updateWebhookInputSchema = z.strictObject({
  id: entityIdSchema,
  url: webhookUrlSchema.optional(),
  events: eventsSchema.optional(),
  envId: scopeIdSchema.nullable().optional(),
  secret: secretSchema.optional(),
  format: z.enum(WEBHOOK_FORMATS).optional(),
  enabled: z.boolean().optional(),
  updatedBy: actorSchema.optional(),
});

export const listWebhooksInputSchema = z.strictObject({
  accountId: scopeIdSchema.optional(),
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
});

/** One attempt to deliver one event to one webhook. */
export const webhookDeliverySchema = z.object({
  id: entityIdSchema,
  deliveryId: z.string().describe("the same for every attempt of one delivery (X-LoadManager-Delivery)"),
  webhookId: entityIdSchema,
  event: webhookEventSchema,
  runId: entityIdSchema,
  attempt: z.number().int().describe("1, 2, … up to 5"),
  at: timestampSchema,
  statusCode: z
    .number()
    .int()
    .nullable()
    .describe("the receiver's answer; null: none (refused, timed out, unreachable)"),
  error: z.string().nullable().describe("why the attempt failed; null: delivered (2xx)"),
  durationMs: z.number().int(),
  nextAttemptAt: timestampSchema.nullable().describe("when it is tried again; null: delivered, or given up"),
});
export type WebhookDelivery = z.infer<typeof webhookDeliverySchema>;

export const listDeliveriesInputSchema = z.strictObject({
  id: entityIdSchema.describe("webhook id"),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
