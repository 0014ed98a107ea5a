import type { z } from "zod";
import type { listLoadTestsInputSchema } from "@loadmgr/shared";
import { scopeFilter } from "../../auth.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listLoadTestsInputSchema>) {
  const { limit, cursor, offset, ...filter } = input;
  const scoped = scopeFilter(ctx.principal, filter);
  if (scoped === undefined) return { items: [] };
  return ctx.store.tests.list(scoped, { limit, cursor, offset });
}
