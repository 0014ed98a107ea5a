import { z } from "zod";
import {
  envNameSchema,
  listSecretsInputSchema,
  putSecretInputSchema,
  secretRefInputSchema,
  secretSchema,
  type Secret,
} from "@loadmgr/shared";
import { actorOf, checkWritableScope } from "../domain/access.js";
import { AppError } from "../errors.js";
import { secretBinding } from "../secrets/secretBox.js";
import type { SecretRecord } from "../store/store.js";
import { authedProcedure, editorProcedure, router } from "../trpc.js";

const TAGS = ["secrets"];

/** What every reader sees of a secret: never its value, nor its ciphertext. */
const view = ({ ciphertext: _hidden, ...secret }: SecretRecord): Secret => secret;

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
    .mutation(async ({ ctx, input }) => {
      checkWritableScope(ctx.principal, input);
      const actor = actorOf(ctx, input.updatedBy, "updatedBy");
      const now = ctx.now();
      const scoped = {
        name: input.name,
        accountId: input.accountId,
        orgId: input.orgId,
        projectId: input.projectId,
        envId: input.envId ?? null,
      };
      const record: SecretRecord = {
        ...scoped,
        ciphertext: ctx.secrets.box.seal(input.value, secretBinding(scoped)),
        createdAt: now,
        createdBy: actor,
        updatedAt: now,
        updatedBy: actor,
      };
      const created = await ctx.store.secrets.put(record);
      const stored = (await ctx.store.secrets.list(scoped, scoped.envId)).find(
        (s) => s.name === scoped.name && s.envId === scoped.envId,
      );
      ctx.logger.info(
        { secret: input.name, envId: scoped.envId, projectId: input.projectId, actor, created },
        "secret set",
      );
      return { ...view(stored ?? record), created };
    }),

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
    .query(async ({ ctx, input }) => {
      checkWritableScope(ctx.principal, input);
      const records = await ctx.store.secrets.list(input, input.envId);
      return { items: records.map(view) };
    }),

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
    .mutation(async ({ ctx, input }) => {
      checkWritableScope(ctx.principal, input);
      const deleted = await ctx.store.secrets.delete(input, input.envId ?? null, input.name);
      if (!deleted) {
        throw new AppError(
          "NOT_FOUND",
          `no secret ${input.name} in this project${input.envId !== undefined ? `'s env ${input.envId}` : ""}`,
          "name",
        );
      }
      ctx.logger.info({ secret: input.name, envId: input.envId ?? null, projectId: input.projectId }, "secret deleted");
      return { name: input.name, deleted: true as const };
    }),
});
