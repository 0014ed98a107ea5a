import type { z } from "zod";
import { loadTestInScope } from "../../domain/access.js";
import type { listInput } from "./list.schema.js";
import type { AuthedContext } from "../../trpc.js";

export async function listHandler(ctx: AuthedContext, input: z.infer<typeof listInput>) {
  const test = await loadTestInScope(ctx, input.id);
  return { items: await ctx.store.schedules.list(test.id) };
}
