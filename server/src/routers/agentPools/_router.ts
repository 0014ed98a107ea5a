import {
  byIdInputSchema,
  agentPackageSchema,
  agentPoolSchema,
  agentPoolWithTokenSchema,
  createAgentPoolInputSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { agentWheel } from "../../agents/agentPackage.js";
import { AppError } from "../../errors.js";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { createHandler } from "./create.handler.js";
import { listHandler } from "./list.handler.js";
import { listInput } from "./list.schema.js";
import { getHandler } from "./get.handler.js";
import { rotateTokenHandler } from "./rotateToken.handler.js";
import { deleteHandler } from "./delete.handler.js";
import { forgetAgentHandler } from "./forgetAgent.handler.js";
import { forgetAgentInput } from "./forgetAgent.schema.js";
import { poolInScope, replaceToken } from "./agentPools.helpers.js";

const TAGS = ["agent pools"];

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
    .mutation(({ ctx, input }) => createHandler(ctx, input)),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/agent-pools", tags: TAGS, summary: "List agent pools with their agents" },
    })
    .input(listInput)
    .output(z.object({ items: z.array(agentPoolSchema) }))
    .query(({ ctx, input }) => listHandler(ctx, input)),

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
    .input(byIdInputSchema)
    .output(agentPoolSchema)
    .query(({ ctx, input }) => getHandler(ctx, input)),

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
    .input(byIdInputSchema)
    .output(agentPoolWithTokenSchema)
    .mutation(({ ctx, input }) => rotateTokenHandler(ctx, input)),

  delete: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/agent-pools/{id}",
        tags: TAGS,
        summary: "Delete a pool and its agents' records (refused while a run of it is active); its agents are refused",
      },
    })
    .input(byIdInputSchema)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) => deleteHandler(ctx, input)),

  forgetAgent: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/agent-pools/{id}/agents/{agentId}",
        tags: TAGS,
        summary: "Forget a disconnected agent (a replaced host or pod); a connected one is refused",
      },
    })
    .input(forgetAgentInput)
    .output(z.object({ deleted: z.boolean() }))
    .mutation(({ ctx, input }) => forgetAgentHandler(ctx, input)),

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
    .input(byIdInputSchema)
    .output(agentPoolSchema)
    .mutation(async ({ ctx, input }) => (await replaceToken(ctx, await poolInScope(ctx, input.id), true)).view),
});
