import { agentSyncInputSchema, agentSyncOutputSchema } from "@loadmgr/shared";
import { publicProcedure, router } from "../../trpc.js";

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
