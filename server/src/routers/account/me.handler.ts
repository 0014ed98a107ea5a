import type { AuthedContext } from "../../trpc.js";

export function meHandler(ctx: AuthedContext) {
  const { name, role, accountId, orgId, projectId } = ctx.principal;
  return {
    name,
    role,
    ...(accountId !== undefined ? { accountId } : {}),
    ...(orgId !== undefined ? { orgId } : {}),
    ...(projectId !== undefined ? { projectId } : {}),
  };
}
