import type { z } from "zod";
import type { listDeliveriesInputSchema } from "@loadmgr/shared";
import { webhookInScope } from "./webhooks.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function deliveriesHandler(ctx: AuthedContext, input: z.infer<typeof listDeliveriesInputSchema>) {
  const hook = await webhookInScope(ctx, input.id);
  return { items: await ctx.store.webhooks.listDeliveries(hook.id, input.limit) };
}
