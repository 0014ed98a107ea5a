import { agentSyncInputSchema, agentSyncOutputSchema } from "@loadmgr/shared";
import { publicProcedure, router } from "../trpc.js";

/** Where agents call in (internal: their pool's enrollment token, checked by the hub). */
export const agentSyncRouter = router({
  sync: publicProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/internal/agents/sync",
        tags: ["internal: agents"],
        protect: false,
        summary:
          "An agent reports what it runs and receives what it should run (held until something changes; its heartbeat)",
      },
    })
    .input(agentSyncInputSchema)
    .output(agentSyncOutputSchema)
    .mutation(({ ctx, input }) => ctx.agents.sync(ctx.bearerToken, input, ctx.callerGone)),
});
