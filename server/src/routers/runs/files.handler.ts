import { type ByIdInput } from "@loadmgr/shared";
import { runInScope } from "../../domain/access.js";
import type { AuthedContext } from "../../trpc.js";

export async function filesHandler(ctx: AuthedContext, input: ByIdInput) {
  const run = await runInScope(ctx, input.id);
  return { items: await ctx.metricsStore.listRunFiles(run.id) };
}
