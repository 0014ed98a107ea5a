import { type ByIdInput } from "@loadmgr/shared";
import { agentPoolChannel } from "../../agents/agentHub.js";
import { AppError } from "../../errors.js";
import { poolInScope } from "./agentPools.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function deleteHandler(ctx: AuthedContext, input: ByIdInput) {
  const pool = await poolInScope(ctx, input.id);
  const active = (await ctx.store.runs.listActive()).filter((r) => r.agentPool === pool.id);
  if (active.length > 0) {
    throw new AppError(
      "AGENT_POOL_IN_USE",
      `agent pool ${pool.name} has ${active.length} active run${active.length === 1 ? "" : "s"}: stop ${active.length === 1 ? "it" : "them"} first`,
      "id",
    );
  }
  const deleted = await ctx.store.pools.delete(pool.id);
  // Its agents' held calls answer now: their token names no pool any more (401, they exit).
  await ctx.live.publish(agentPoolChannel, { poolId: pool.id });
  ctx.logger.info({ poolId: pool.id, pool: pool.name, actor: ctx.principal.name }, "agent pool deleted");
  return { deleted };
}
