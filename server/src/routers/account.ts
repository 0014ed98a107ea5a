import { z } from "zod";
import { identitySchema, scopesSchema } from "@loadmgr/shared";
import { authedProcedure, router } from "../trpc.js";

const TAGS = ["account"];

/** Who the caller is and where it can look: what the dashboard's header and scope switcher show. */
export const accountRouter = router({
  me: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/me", tags: TAGS, summary: "The token's name, role and bound scope" } })
    .input(z.strictObject({}).optional())
    .output(identitySchema)
    .query(({ ctx }) => {
      const { name, role, accountId, orgId, projectId } = ctx.principal;
      return {
        name,
        role,
        ...(accountId !== undefined ? { accountId } : {}),
        ...(orgId !== undefined ? { orgId } : {}),
        ...(projectId !== undefined ? { projectId } : {}),
      };
    }),

  scopes: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/scopes",
        tags: TAGS,
        summary: "The accounts, orgs, projects and envs in the token's reach that hold tests, with counts",
      },
    })
    .input(z.strictObject({}).optional())
    .output(scopesSchema)
    .query(async ({ ctx }) => {
      const { accountId, orgId, projectId } = ctx.principal;
      return { items: await ctx.store.tests.countByScope({ accountId, orgId, projectId }) };
    }),
});
