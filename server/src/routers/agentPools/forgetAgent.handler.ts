import type { z } from "zod";
import { agentConnected, agentSilenceMs } from "../../agents/agentHub.js";
import { AppError, notFound } from "../../errors.js";
import type { forgetAgentInput } from "./forgetAgent.schema.js";
import { poolInScope } from "./agentPools.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function forgetAgentHandler(ctx: AuthedContext, input: z.infer<typeof forgetAgentInput>) {
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
}
