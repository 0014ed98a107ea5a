import { type ByIdInput } from "@loadmgr/shared";
import { poolInScope, replaceToken } from "./agentPools.helpers.js";
import type { AuthedContext } from "../../trpc.js";

export async function rotateTokenHandler(ctx: AuthedContext, input: ByIdInput) {
  const { view, token } = await replaceToken(ctx, await poolInScope(ctx, input.id), false);
  return { ...view, token: token ?? "" };
}
