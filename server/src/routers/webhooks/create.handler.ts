import { view, checkTarget } from "./webhooks.helpers.js";
import type { z } from "zod";
import { randomBytes } from "node:crypto";
import type { createWebhookInputSchema } from "@loadmgr/shared";
import { actorOf, checkWritableScope } from "../../domain/access.js";
import { newId } from "../../ids.js";
import type { WebhookRecord } from "../../store/store.js";
import { webhookSecretBinding } from "../../webhooks/webhookNotifier.js";
import type { AuthedContext } from "../../trpc.js";

export async function createHandler(ctx: AuthedContext, input: z.infer<typeof createWebhookInputSchema>) {
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
}
