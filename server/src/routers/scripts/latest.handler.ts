import { type ByIdInput } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function latestHandler(ctx: AuthedContext, input: ByIdInput) {
  const test = await loadTestInScope(ctx, input.id);
  const revision = await ctx.store.tests.getRevision(test.id, test.latestRevisionId);
  if (revision === undefined) throw notFound("REVISION", test.latestRevisionId);
  return revision;
}
