import {
  byIdInputSchema,
  createdWebhookSchema,
  createWebhookInputSchema,
  listDeliveriesInputSchema,
  listWebhooksInputSchema,
  updateWebhookInputSchema,
  webhookDeliverySchema,
  webhookSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { editorProcedure, router } from "../../trpc.js";
import { createHandler } from "./create.handler.js";
import { listHandler } from "./list.handler.js";
import { updateHandler } from "./update.handler.js";
import { deleteHandler } from "./delete.handler.js";
import { deliveriesHandler } from "./deliveries.handler.js";
import { view, webhookInScope } from "./webhooks.helpers.js";

const TAGS = ["webhooks"];

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
    .mutation(({ ctx, input }) => createHandler(ctx, input)),

  list: editorProcedure
    .meta({ openapi: { method: "GET", path: "/v1/webhooks", tags: TAGS, summary: "List webhooks, oldest first" } })
    .input(listWebhooksInputSchema)
    .output(z.object({ items: z.array(webhookSchema) }))
    .query(({ ctx, input }) => listHandler(ctx, input)),

  get: editorProcedure
    .meta({ openapi: { method: "GET", path: "/v1/webhooks/{id}", tags: TAGS, summary: "Get a webhook" } })
    .input(byIdInputSchema)
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
    .mutation(({ ctx, input }) => updateHandler(ctx, input)),

  delete: editorProcedure
    .meta({
      openapi: { method: "DELETE", path: "/v1/webhooks/{id}", tags: TAGS, summary: "Delete a webhook and its log" },
    })
    .input(byIdInputSchema)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) => deleteHandler(ctx, input)),

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
    .query(({ ctx, input }) => deliveriesHandler(ctx, input)),
});
