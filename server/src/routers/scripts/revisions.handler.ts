import type { z } from "zod";
import type { listRevisionsInputSchema } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import type { AuthedContext } from "../../trpc.js";

export async function revisionsHandler(ctx: AuthedContext, input: z.infer<typeof listRevisionsInputSchema>) {
  await loadTestInScope(ctx, input.id);
  return ctx.store.tests.listRevisions(input.id, input);
}
