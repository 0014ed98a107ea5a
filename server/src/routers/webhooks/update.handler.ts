import type { z } from "zod";
import type { updateWebhookInputSchema } from "@loadmgr/shared";
import { actorOf } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import { webhookSecretBinding } from "../../webhooks/webhookNotifier.js";
import { view, checkTarget, webhookInScope } from "./webhooks.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function updateHandler(ctx: AuthedContext, input: z.infer<typeof updateWebhookInputSchema>) {
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
  ctx.logger.info({ webhookId: id, actor, changed: Object.keys(input).filter((k) => k !== "id") }, "webhook changed");
  return view(updated);
}
