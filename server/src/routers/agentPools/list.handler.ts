import type { z } from "zod";
import { LOCAL_POOL_ID } from "@loadmgr/shared";
import { scopeFilter } from "../../auth.js";
import type { listInput } from "./list.schema.js";
import { withAgents } from "./agentPools.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listInput>) {
  const filter = scopeFilter(ctx.principal, input ?? {});
  if (filter === undefined) return { items: [] };
  // The local pool (the servers' own hosts) is the server's, not a project's.
  const pools = (await ctx.store.pools.list(filter)).filter((p) => p.id !== LOCAL_POOL_ID);
  return { items: await withAgents(ctx, pools) };
}
