import type { z } from "zod";
import type { listRunsInputSchema } from "@loadmgr/shared";
import { scopeFilter } from "../../auth.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listRunsInputSchema>) {
  const { limit, cursor, offset, ...filter } = input;
  const scoped = scopeFilter(ctx.principal, filter);
  if (scoped === undefined) return { items: [] };
  return ctx.store.runs.list(scoped, { limit, cursor, offset });
}
