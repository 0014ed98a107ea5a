import { z } from "zod";
import {
  agentPackageSchema,
  agentPoolSchema,
  agentPoolWithTokenSchema,
  createAgentPoolInputSchema,
  entityIdSchema,
  LOCAL_POOL_ID,
  scopeIdSchema,
  type AgentPool,
} from "@loadmgr/shared";
import { agentWheel } from "../agents/agentPackage.js";
import { agentConnected, agentPoolChannel, agentSilenceMs, agentView, poolView } from "../agents/agentHub.js";
import { newPoolToken } from "../agents/poolTokens.js";
import { scopeFilter } from "../auth.js";
import type { Context } from "../context.js";
import { actorOf, checkWritableScope, findInScope } from "../domain/access.js";
import { AppError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import type { AgentPoolRecord } from "../store/store.js";
import { authedProcedure, editorProcedure, router, type AuthedContext } from "../trpc.js";

const TAGS = ["agent pools"];

/** The pools with their agents, as the API shows them. */
async function withAgents(ctx: Context, pools: AgentPoolRecord[]): Promise<AgentPool[]> {
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
const poolInScope = (ctx: AuthedContext, id: string): Promise<AgentPoolRecord> =>
  findInScope(ctx, "AGENT_POOL", id, async (i) => (i === LOCAL_POOL_ID ? undefined : ctx.store.pools.get(i)));

/**
 * A new token, or none. On a rotation the old one is retired: its agents finish the runs they hold and
 * take nothing new, then are told to start again with the new one. A revoke ends the pool's active
 * runs at once, saying so (its agents are refused and stop everything they hold).
 */
async function replaceToken(ctx: AuthedContext, pool: AgentPoolRecord, revoke: boolean) {
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

export const agentPoolsRouter = router({
  create: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/agent-pools",
        tags: TAGS,
        summary: "Create an agent pool; the answer holds its enrollment token, shown this once",
      },
    })
    .input(createAgentPoolInputSchema)
    .output(agentPoolWithTokenSchema)
    .mutation(async ({ ctx, input }) => {
      const now = ctx.now();
      const id = newId(now);
      const { token, hash } = newPoolToken(id);
      const pool: AgentPoolRecord = {
        id,
        name: input.name,
        accountId: input.accountId,
        orgId: input.orgId,
        projectId: input.projectId,
        envId: input.envId ?? null,
        tokenHash: hash,
        retiredTokenHash: null,
        tokenRotatedAt: now,
        createdAt: now,
        createdBy: actorOf(ctx, input.createdBy, "createdBy"),
      };
      checkWritableScope(ctx.principal, pool);
      await ctx.store.pools.create(pool);
      ctx.logger.info({ poolId: id, pool: pool.name }, "agent pool created");
      return { ...poolView(pool, []), token };
    }),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/agent-pools", tags: TAGS, summary: "List agent pools with their agents" },
    })
    .input(
      z
        .strictObject({
          accountId: scopeIdSchema.optional(),
          orgId: scopeIdSchema.optional(),
          projectId: scopeIdSchema.optional(),
        })
        .optional(),
    )
    .output(z.object({ items: z.array(agentPoolSchema) }))
    .query(async ({ ctx, input }) => {
      const filter = scopeFilter(ctx.principal, input ?? {});
      if (filter === undefined) return { items: [] };
      // The local pool (the servers' own hosts) is the server's, not a project's.
      const pools = (await ctx.store.pools.list(filter)).filter((p) => p.id !== LOCAL_POOL_ID);
      return { items: await withAgents(ctx, pools) };
    }),

  package: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/agent-package",
        tags: TAGS,
        summary:
          "The agent's wheel this server serves to generator hosts (at its path, no token needed), with its sha256",
      },
    })
    .input(z.strictObject({}).optional())
    .output(agentPackageSchema)
    .query(async () => {
      const wheel = await agentWheel();
      if (wheel === undefined) {
        throw new AppError(
          "AGENT_PACKAGE_MISSING",
          "this server has no agent wheel built: run scripts/setup-python.sh (npm start does) where it runs",
        );
      }
      return wheel.info;
    }),

  get: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/agent-pools/{id}", tags: TAGS, summary: "Get a pool and its agents" },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(agentPoolSchema)
    .query(async ({ ctx, input }) => {
      const [pool] = await withAgents(ctx, [await poolInScope(ctx, input.id)]);
      return pool as AgentPool;
    }),

  rotateToken: editorProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/agent-pools/{id}/token",
        tags: TAGS,
        summary:
          "Give the pool a new enrollment token (shown this once); agents on the old one finish the runs they hold, then must use it",
      },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(agentPoolWithTokenSchema)
    .mutation(async ({ ctx, input }) => {
      const { view, token } = await replaceToken(ctx, await poolInScope(ctx, input.id), false);
      return { ...view, token: token ?? "" };
    }),

  delete: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/agent-pools/{id}",
        tags: TAGS,
        summary: "Delete a pool and its agents' records (refused while a run of it is active); its agents are refused",
      },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(z.object({ deleted: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
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
    }),

  forgetAgent: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/agent-pools/{id}/agents/{agentId}",
        tags: TAGS,
        summary: "Forget a disconnected agent (a replaced host or pod); a connected one is refused",
      },
    })
    .input(z.strictObject({ id: entityIdSchema, agentId: entityIdSchema }))
    .output(z.object({ deleted: z.boolean() }))
    .mutation(async ({ ctx, input }) => {
      const pool = await poolInScope(ctx, input.id);
      const agent = await ctx.store.pools.getAgent(input.agentId);
      if (agent?.poolId !== pool.id) throw notFound("AGENT", input.agentId, "agentId");
      if (agentConnected(agent, ctx.now(), agentSilenceMs(ctx.config))) {
        throw new AppError(
          "AGENT_CONNECTED",
          `agent ${agent.name} is connected: stop it first (it would only be recorded again at its next call)`,
          "agentId",
        );
      }
      const deleted = await ctx.store.pools.deleteAgent(agent.id);
      ctx.logger.info({ poolId: pool.id, agent: agent.name, actor: ctx.principal.name }, "agent forgotten");
      return { deleted };
    }),

  revokeToken: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/agent-pools/{id}/token",
        tags: TAGS,
        summary:
          "Revoke the pool's enrollment token: its active runs fail, every agent is disconnected at once, none may join",
      },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(agentPoolSchema)
    .mutation(async ({ ctx, input }) => (await replaceToken(ctx, await poolInScope(ctx, input.id), true)).view),
});
