import type { z } from "zod";
import type { getRevisionInputSchema } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function revisionHandler(ctx: AuthedContext, input: z.infer<typeof getRevisionInputSchema>) {
  await loadTestInScope(ctx, input.id);
  const revision = await ctx.store.tests.getRevision(input.id, input.revisionId);
  if (revision === undefined) throw notFound("REVISION", input.revisionId, "revisionId");
  return revision;
}
