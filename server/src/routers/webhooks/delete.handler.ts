import { type ByIdInput } from "@loadmgr/shared";
import { webhookInScope } from "./webhooks.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function deleteHandler(ctx: AuthedContext, input: ByIdInput) {
  const hook = await webhookInScope(ctx, input.id);
  const deleted = await ctx.store.webhooks.delete(hook.id);
  ctx.logger.info({ webhookId: hook.id, actor: ctx.principal.name }, "webhook deleted");
  return { deleted };
}
