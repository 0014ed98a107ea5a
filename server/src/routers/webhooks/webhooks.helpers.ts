import { type Webhook } from "@loadmgr/shared";
import { findInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import type { WebhookRecord } from "../../store/store.js";
import { type AuthedContext } from "../../trpc.js";
import { resolveTarget, WebhookTargetError } from "../../webhooks/webhookTarget.js";

/** What every reader sees of a webhook: never its secret. */
export const view = ({ secretCiphertext: _hidden, ...webhook }: WebhookRecord): Webhook => webhook;

/** A URL a delivery may go to now (each delivery checks again: names can move). */
export async function checkTarget(ctx: AuthedContext, url: string): Promise<void> {
  try {
    await resolveTarget(new URL(url), ctx.config.webhooks.allowPrivateTargets);
  } catch (error) {
    if (error instanceof WebhookTargetError) throw new AppError("WEBHOOK_TARGET_NOT_ALLOWED", error.message, "url");
    throw error;
  }
}

export const webhookInScope = (ctx: AuthedContext, id: string): Promise<WebhookRecord> =>
  findInScope(ctx, "WEBHOOK", id, (i) => ctx.store.webhooks.get(i));

/** Webhooks hold URLs that are often secrets themselves (Slack's): only editors see or change them. */
