import { randomBytes } from "node:crypto";
import { z } from "zod";
import {
  createdWebhookSchema,
  createWebhookInputSchema,
  entityIdSchema,
  listDeliveriesInputSchema,
  listWebhooksInputSchema,
  updateWebhookInputSchema,
  webhookDeliverySchema,
  webhookSchema,
  type Webhook,
} from "@loadmgr/shared";
import { scopeFilter } from "../auth.js";
import { actorOf, checkWritableScope, findInScope } from "../domain/access.js";
import { AppError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { WebhookRecord } from "../store/store.js";
import { editorProcedure, router, type AuthedContext } from "../trpc.js";
import { webhookSecretBinding } from "../webhooks/webhookNotifier.js";
import { resolveTarget, WebhookTargetError } from "../webhooks/webhookTarget.js";

const TAGS = ["webhooks"];

/** What every reader sees of a webhook: never its secret. */
const view = ({ secretCiphertext: _hidden, ...webhook }: WebhookRecord): Webhook => webhook;

/** A URL a delivery may go to now (each delivery checks again: names can move). */
async function checkTarget(ctx: AuthedContext, url: string): Promise<void> {
  try {
    await resolveTarget(new URL(url), ctx.config.webhooks.allowPrivateTargets);
  } catch (error) {
    if (error instanceof WebhookTargetError) throw new AppError("WEBHOOK_TARGET_NOT_ALLOWED", error.message, "url");
    throw error;
  }
}

const webhookInScope = (ctx: AuthedContext, id: string): Promise<WebhookRecord> =>
  findInScope(ctx, "WEBHOOK", id, (i) => ctx.store.webhooks.get(i));

/** Webhooks hold URLs that are often secrets themselves (Slack's): only editors see or change them. */
export const webhooksRouter = router({
  create: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/webhooks",
        tags: TAGS,
        summary: "Tell a URL when runs of a project start, end, breach a threshold or regress (signed JSON or Slack)",
      },
    })
    .input(createWebhookInputSchema)
    .output(createdWebhookSchema)
    .mutation(async ({ ctx, input }) => {
      checkWritableScope(ctx.principal, input);
      await checkTarget(ctx, input.url);
      const actor = actorOf(ctx, input.createdBy, "createdBy");
      const now = ctx.now();
      const id = newId(now);
      const made = input.secret === undefined ? randomBytes(24).toString("base64url") : null;
      const record: WebhookRecord = {
        id,
        accountId: input.accountId,
        orgId: input.orgId,
        projectId: input.projectId,
        envId: input.envId ?? null,
        url: input.url,
        events: input.events,
        format: input.format,
        enabled: input.enabled,
        secretCiphertext: ctx.secrets.box.seal(input.secret ?? made ?? "", webhookSecretBinding(id)),
        createdAt: now,
        createdBy: actor,
        updatedAt: now,
        updatedBy: actor,
      };
      await ctx.store.webhooks.create(record);
      ctx.logger.info({ webhookId: id, projectId: input.projectId, events: input.events, actor }, "webhook created");
      return { ...view(record), secret: made };
    }),

  list: editorProcedure
    .meta({ openapi: { method: "GET", path: "/v1/webhooks", tags: TAGS, summary: "List webhooks, oldest first" } })
    .input(listWebhooksInputSchema)
    .output(z.object({ items: z.array(webhookSchema) }))
    .query(async ({ ctx, input }) => {
      const scoped = scopeFilter(ctx.principal, input);
      if (scoped === undefined) return { items: [] };
      return { items: (await ctx.store.webhooks.list(scoped)).map(view) };
    }),

  get: editorProcedure
    .meta({ openapi: { method: "GET", path: "/v1/webhooks/{id}", tags: TAGS, summary: "Get a webhook" } })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(webhookSchema)
    .query(async ({ ctx, input }) => view(await webhookInScope(ctx, input.id))),

  update: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/webhooks/{id}",
        tags: TAGS,
        summary: "Change a webhook's URL, events, env, format, secret or whether it is enabled",
      },
    })
    .input(updateWebhookInputSchema)
    .output(webhookSchema)
    .mutation(async ({ ctx, input }) => {
      const hook = await webhookInScope(ctx, input.id);
      if (input.url !== undefined) await checkTarget(ctx, input.url);
      const actor = actorOf(ctx, input.updatedBy, "updatedBy");
      const { id, secret, updatedBy: _by, ...changes } = input;
      const updated = await ctx.store.webhooks.update(hook.id, {
        ...changes,
        ...(secret !== undefined ? { secretCiphertext: ctx.secrets.box.seal(secret, webhookSecretBinding(id)) } : {}),
        updatedAt: ctx.now(),
        updatedBy: actor,
      });
      if (updated === undefined) throw notFound("WEBHOOK", id);
      ctx.logger.info(
        { webhookId: id, actor, changed: Object.keys(input).filter((k) => k !== "id") },
        "webhook changed",
      );
      return view(updated);
    }),

  delete: editorProcedure
    .meta({
      openapi: { method: "DELETE", path: "/v1/webhooks/{id}", tags: TAGS, summary: "Delete a webhook and its log" },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(z.object({ deleted: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const hook = await webhookInScope(ctx, input.id);
      const deleted = await ctx.store.webhooks.delete(hook.id);
      ctx.logger.info({ webhookId: hook.id, actor: ctx.principal.name }, "webhook deleted");
      return { deleted };
    }),

  deliveries: editorProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/webhooks/{id}/deliveries",
        tags: TAGS,
        summary: "A webhook's delivery log, newest first: each attempt's time, event, status code and error",
      },
    })
    .input(listDeliveriesInputSchema)
    .output(z.object({ items: z.array(webhookDeliverySchema) }))
    .query(async ({ ctx, input }) => {
      const hook = await webhookInScope(ctx, input.id);
      return { items: await ctx.store.webhooks.listDeliveries(hook.id, input.limit) };
    }),
});
