import type { AuthedContext } from "../../trpc.js";

export async function scopesHandler(ctx: AuthedContext) {
  const { accountId, orgId, projectId } = ctx.principal;
  return { items: await ctx.store.tests.countByScope({ accountId, orgId, projectId }) };
}
