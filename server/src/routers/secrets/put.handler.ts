import { view } from "./secrets.helpers.js";
import type { z } from "zod";
import type { putSecretInputSchema } from "@loadmgr/shared";
import { actorOf, checkWritableScope } from "../../domain/access.js";
import { secretBinding } from "../../secrets/secretBox.js";
import type { SecretRecord } from "../../store/store.js";
import type { AuthedContext } from "../../trpc.js";

export async function putHandler(ctx: AuthedContext, input: z.infer<typeof putSecretInputSchema>) {
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
}
