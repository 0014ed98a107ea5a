import type { ByIdInput, AgentPool } from "@loadmgr/shared";
import { withAgents, poolInScope } from "./agentPools.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function getHandler(ctx: AuthedContext, input: ByIdInput) {
  const [pool] = await withAgents(ctx, [await poolInScope(ctx, input.id)]);
  return pool as AgentPool;
}
