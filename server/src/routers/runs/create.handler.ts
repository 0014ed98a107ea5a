import type { z } from "zod";
import type { createRunInputSchema } from "@loadmgr/shared";
import { actorOf, loadTestInScope } from "../../domain/access.js";
import { AppError } from "../../errors.js";
import { startNewRun } from "../../runs/newRun.js";
import type { AuthedContext } from "../../trpc.js";

export async function createHandler(ctx: AuthedContext, input: z.infer<typeof createRunInputSchema>) {
  const test = await loadTestInScope(ctx, input.id);
  const { sandbox } = ctx;
  if (
    sandbox.mode === "on" &&
    !sandbox.available &&
    ctx.principal.role !== "admin" &&
    test.locustClusterId == null &&
    test.agentPool === null
  ) {
    throw new AppError(
      "SANDBOX_UNAVAILABLE",
      `runs cannot be sandboxed on this server (${sandbox.reason}); only the admin token may start them until it can, or until the operator sets runner.sandbox: off`,
    );
  }
  const actor = actorOf(ctx, input.createdBy, "createdBy");
  return startNewRun(ctx, test, input, actor, { type: input.trigger ?? "api", scheduleId: null });
}
