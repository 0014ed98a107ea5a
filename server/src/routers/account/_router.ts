import { z } from "zod";
import { identitySchema, scopesSchema } from "@loadmgr/shared";
import { authedProcedure, router } from "../../trpc.js";
import { meHandler } from "./me.handler.js";
import { scopesHandler } from "./scopes.handler.js";

const TAGS = ["account"];

export const accountRouter = router({
  me: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/me", tags: TAGS, summary: "The token's name, role and bound scope" } })
    .input(z.strictObject({}).optional())
    .output(identitySchema)
    .query(({ ctx }) => meHandler(ctx)),

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
    .query(({ ctx }) => scopesHandler(ctx)),
});
