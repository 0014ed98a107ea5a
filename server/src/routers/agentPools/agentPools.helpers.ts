import { LOCAL_POOL_ID, type AgentPool } from "@loadmgr/shared";
import { agentPoolChannel, agentSilenceMs, agentView, poolView } from "../../agents/agentHub.js";
import { newPoolToken } from "../../agents/poolTokens.js";
import type { Context } from "../../context.js";
import { findInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import type { AgentPoolRecord } from "../../store/store.js";
import { type AuthedContext } from "../../trpc.js";

/** The pools with their agents, as the API shows them. */
export async function withAgents(ctx: Context, pools: AgentPoolRecord[]): Promise<AgentPool[]> {
  const [agents, active] = await Promise.all([
    ctx.store.pools.listAgents(pools.map((p) => p.id)),
    ctx.store.runs.listActive(),
  ]);
  const now = ctx.now();
  const silenceMs = agentSilenceMs(ctx.config);
  return pools.map((pool) =>
    poolView(
      pool,
      agents.filter((a) => a.poolId === pool.id).map((a) => agentView(a, active, now, silenceMs)),
    ),
  );
}

/** (The servers' own pool is no one's to see or change.) */
export const poolInScope = (ctx: AuthedContext, id: string): Promise<AgentPoolRecord> =>
  findInScope(ctx, "AGENT_POOL", id, async (i) => (i === LOCAL_POOL_ID ? undefined : ctx.store.pools.get(i)));

/**
 * A new token, or none. On a rotation the old one is retired: its agents finish the runs they hold and
 * take nothing new, then are told to start again with the new one. A revoke ends the pool's active
 * runs at once, saying so (its agents are refused and stop everything they hold).
 */
export async function replaceToken(ctx: AuthedContext, pool: AgentPoolRecord, revoke: boolean) {
  const fresh = revoke ? undefined : newPoolToken(pool.id);
  const retired = revoke ? null : pool.tokenHash;
  const updated = await ctx.store.pools.setToken(pool.id, fresh?.hash ?? null, ctx.now(), retired);
  if (updated === undefined) throw notFound("AGENT_POOL", pool.id);
  if (revoke) {
    // Every agent of the pool leaves now: none counts as connected, so nothing is placed on it.
    for (const agent of await ctx.store.pools.listAgents([pool.id])) {
      await ctx.store.pools.saveAgent({ ...agent, lastSeenAt: 0, waitMs: 0, runs: [] });
    }
    const actor = ctx.principal.name;
    for (const run of (await ctx.store.runs.listActive()).filter((r) => r.agentPool === pool.id)) {
      await ctx.runs.end(
        run,
        "Failed",
        `the enrollment token of agent pool ${pool.name} was revoked by ${actor}: its agents stopped the run`,
        actor,
      );
    }
  }
  await ctx.live.publish(agentPoolChannel, { poolId: pool.id });
  ctx.logger.info(
    { poolId: pool.id, pool: pool.name },
    revoke ? "agent pool token revoked" : "agent pool token rotated",
  );
  const [view] = await withAgents(ctx, [updated]);
  return { view: view as AgentPool, token: fresh?.token };
}
