import type { z } from "zod";
import type { listWebhooksInputSchema } from "@loadmgr/shared";
import { scopeFilter } from "../../auth.js";
import { view } from "./webhooks.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listWebhooksInputSchema>) {
  const scoped = scopeFilter(ctx.principal, input);
  if (scoped === undefined) return { items: [] };
  return { items: (await ctx.store.webhooks.list(scoped)).map(view) };
}
