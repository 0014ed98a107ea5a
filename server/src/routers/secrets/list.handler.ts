import type { z } from "zod";
import type { listSecretsInputSchema } from "@loadmgr/shared";
import { checkWritableScope } from "../../domain/access.js";
import { view } from "./secrets.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listSecretsInputSchema>) {
  checkWritableScope(ctx.principal, input);
  const records = await ctx.store.secrets.list(input, input.envId);
  return { items: records.map(view) };
}
