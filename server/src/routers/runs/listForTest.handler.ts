import type { z } from "zod";
import type { listTestRunsInputSchema } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import type { AuthedContext } from "../../trpc.js";

export async function listForTestHandler(ctx: AuthedContext, input: z.infer<typeof listTestRunsInputSchema>) {
  const { id, limit, cursor, offset, status } = input;
  await loadTestInScope(ctx, id);
  return ctx.store.runs.list({ loadTestId: id, status }, { limit, cursor, offset });
}
