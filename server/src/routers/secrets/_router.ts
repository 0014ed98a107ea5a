import { z } from "zod";
import {
  envNameSchema,
  listSecretsInputSchema,
  putSecretInputSchema,
  secretRefInputSchema,
  secretSchema,
} from "@loadmgr/shared";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { putHandler } from "./put.handler.js";
import { listHandler } from "./list.handler.js";
import { deleteHandler } from "./delete.handler.js";

const TAGS = ["secrets"];

export const secretsRouter = router({
  put: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/secrets/{name}",
        tags: TAGS,
        summary: "Set a secret of a project (or of one env of it); its value is never shown again",
      },
    })
    .input(putSecretInputSchema)
    .output(secretSchema.extend({ created: z.boolean() }))
    .mutation(({ ctx, input }) => putHandler(ctx, input)),

  list: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/secrets",
        tags: TAGS,
        summary: "List a project's secrets: names, scope, who set them and when (never values)",
      },
    })
    .input(listSecretsInputSchema)
    .output(z.object({ items: z.array(secretSchema) }))
    .query(({ ctx, input }) => listHandler(ctx, input)),

  delete: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/secrets/{name}",
        tags: TAGS,
        summary: "Delete a secret (runs already started keep the value they got)",
      },
    })
    .input(secretRefInputSchema)
    .output(z.object({ name: envNameSchema, deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteHandler(ctx, input)),
});
