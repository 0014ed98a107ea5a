import { poolView } from "../../agents/agentHub.js";
import type { z } from "zod";
import type { createAgentPoolInputSchema } from "@loadmgr/shared";
import { newPoolToken } from "../../agents/poolTokens.js";
import { actorOf, checkWritableScope } from "../../domain/access.js";
import { newId } from "../../ids.js";
import type { AgentPoolRecord } from "../../store/store.js";
import type { AuthedContext } from "../../trpc.js";

export async function createHandler(ctx: AuthedContext, input: z.infer<typeof createAgentPoolInputSchema>) {
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
}
