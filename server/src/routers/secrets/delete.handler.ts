import type { z } from "zod";
import type { secretRefInputSchema } from "@loadmgr/shared";
import { checkWritableScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function deleteHandler(ctx: AuthedContext, input: z.infer<typeof secretRefInputSchema>) {
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
}
