import { createHmac } from "node:crypto";
import { MAX_WEBHOOK_ATTEMPTS, type LoadTestRun, type WebhookEvent } from "@loadmgr/shared";
import type { Config } from "../config.js";
import { newId } from "../ids.js";
import { jobId, type JobDataByName, type JobOf, type JobQueue } from "../jobs/queue.js";
import type { Logger } from "../logger.js";
import type { SecretBox } from "../secrets/secretBox.js";
import type { Store, WebhookRecord } from "../store/store.js";
import { eventsOf, webhookBody } from "./webhookPayload.js";
import { sendWebhook } from "./sendWebhook.js";

/** What binds a webhook's sealed secret to it: a ciphertext moved to another webhook does not open. */
export const webhookSecretBinding = (id: string): string => `webhook:${id}`;

/** `X-LoadManager-Signature`'s value: the hex HMAC-SHA256 of the exact body, keyed with the webhook's secret. */
export const signature = (secret: string, body: string): string =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

export interface WebhookNotifierDeps {
  store: Store;
  queue: JobQueue;
  logger: Logger;
  box: SecretBox;
  config: Config;
  now: () => number;
}

/**
 * Tells webhooks what happened to runs. When a run moves, each enabled webhook of its project (and
 * env) that asked for one of the events gets a delivery: a queued job whose body is fixed then, so
 * every attempt sends the same bytes. An attempt that fails is logged and tried again later, up to
 * MAX_WEBHOOK_ATTEMPTS, each wait four times the one before. Nothing here can fail a run's move.
 */
export class WebhookNotifier {
  constructor(private readonly deps: WebhookNotifierDeps) {}

  /** Queues the deliveries `run`'s current status sets off (called after the store has the move). */
  async runMoved(run: LoadTestRun): Promise<void> {
    const events = eventsOf(run);
    if (events.length === 0) return;
    const hooks = (
      await this.deps.store.webhooks.list({ accountId: run.accountId, orgId: run.orgId, projectId: run.projectId })
    ).filter((h) => h.enabled && (h.envId === null || h.envId === run.envId));
    if (hooks.length === 0) return;
    const testName = (await this.deps.store.tests.get(run.loadTestId))?.name ?? run.loadTestId;
    const { publicUrl } = this.deps.config.server;
    const runUrl = publicUrl !== undefined ? `${publicUrl.replace(/\/+$/, "")}/#/runs/${run.id}` : null;
    for (const hook of hooks) {
      for (const event of events.filter((e) => hook.events.includes(e))) {
        const deliveryId = newId(this.deps.now());
        const body = webhookBody(hook.format, { event, run, testName, deliveryId, sentAt: this.deps.now(), runUrl });
        const job: JobDataByName["webhook.deliver"] = {
          deliveryId,
          webhookId: hook.id,
          event,
          runId: run.id,
          body,
          attempt: 1,
        };
        // Once per webhook, event and run, whichever process saw the move.
        await this.deps.queue.add("webhook.deliver", job, { jobId: jobId("webhook", hook.id, event, run.id) });
        this.deps.logger.info({ runId: run.id, webhookId: hook.id, event, deliveryId }, "webhook delivery queued");
      }
    }
  }

  /** The queue's processor for webhook.deliver: one attempt, logged; the next one queued if it failed. */
  async deliver({ data: job }: JobOf<"webhook.deliver">): Promise<void> {
    if (typeof job.webhookId !== "string" || typeof job.body !== "string" || typeof job.deliveryId !== "string") return;
    const { webhookId, body, deliveryId, runId, event } = job;
    const attempt = job.attempt ?? 1;
    const hook = await this.deps.store.webhooks.get(webhookId);
    if (hook === undefined || !hook.enabled) {
      this.deps.logger.info({ runId, webhookId, deliveryId }, "webhook gone or disabled: delivery dropped");
      return;
    }
    const { config } = this.deps;
    const result = await sendWebhook(hook.url, body, this.headers(hook, event, deliveryId, attempt, body), {
      allowPrivate: config.webhooks.allowPrivateTargets,
      timeoutMs: config.webhooks.timeoutSec * 1000,
    });
    const now = this.deps.now();
    const waitMs = config.webhooks.retryBaseSec * 1000 * 4 ** (attempt - 1);
    const retry = result.error !== null && attempt < MAX_WEBHOOK_ATTEMPTS;
    await this.deps.store.webhooks.addDelivery({
      id: newId(now),
      deliveryId,
      webhookId,
      event,
      runId,
      attempt,
      at: now,
      statusCode: result.statusCode,
      error: result.error,
      durationMs: result.durationMs,
      nextAttemptAt: retry ? now + waitMs : null,
    });
    const fields = { runId, webhookId, event, deliveryId, attempt, statusCode: result.statusCode };
    if (result.error === null) {
      this.deps.logger.info(fields, "webhook delivered");
      return;
    }
    if (!retry) {
      this.deps.logger.warn({ ...fields, error: result.error }, "webhook delivery given up");
      return;
    }
    this.deps.logger.warn({ ...fields, error: result.error, retryInMs: waitMs }, "webhook delivery failed; will retry");
    await this.deps.queue.add(
      "webhook.deliver",
      { ...job, attempt: attempt + 1 },
      { jobId: jobId("webhook", deliveryId, String(attempt + 1)), delayMs: waitMs },
    );
  }

  private headers(hook: WebhookRecord, event: WebhookEvent, deliveryId: string, attempt: number, body: string) {
    const secret = this.deps.box.open(hook.secretCiphertext, webhookSecretBinding(hook.id));
    return {
      "content-type": "application/json",
      "user-agent": "LoadManager-Webhook/1",
      "x-loadmanager-event": event,
      "x-loadmanager-delivery": deliveryId,
      "x-loadmanager-attempt": String(attempt),
      "x-loadmanager-signature": signature(secret, body),
    };
  }
}
