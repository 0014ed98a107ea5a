// No zod: the dashboard imports this file as it is.
/** What a webhook can be told of. */
export const WEBHOOK_EVENTS = [
  "run.started",
  "run.finished",
  "run.failed",
  "run.stopped",
  "threshold.breached",
  "regression.detected",
] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];
