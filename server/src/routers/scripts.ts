import { newId } from "../ids.js";
import {
  entityIdSchema,
  getRevisionInputSchema,
  listRevisionsInputSchema,
  pageSchema,
  scriptRevisionSchema,
  updateScriptInputSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { actorOf, loadTestInScope } from "../domain/access.js";
import { checkScriptSyntax } from "../domain/scriptCheck.js";
import { notFound } from "../errors.js";
import { authedProcedure, editorProcedure, router } from "../trpc.js";

const TAGS = ["scripts"];

export const scriptsRouter = router({
  update: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/load-tests/{id}/script",
        tags: TAGS,
        summary: "Save a new script revision and make it the latest",
      },
    })
    .input(updateScriptInputSchema)
    .output(scriptRevisionSchema)
    .mutation(async ({ ctx, input }) => {
      await loadTestInScope(ctx, input.id);
      await checkScriptSyntax(ctx, input.scriptContent);
      const now = ctx.now();
      const revision = await ctx.store.addScriptRevision({
        id: newId(now),
        loadTestId: input.id,
        scriptContent: input.scriptContent,
        description: input.description,
        createdAt: now,
        createdBy: actorOf(ctx, input.updatedBy, "updatedBy"),
      });
      if (revision === undefined) throw notFound("LOAD_TEST", input.id);
      ctx.logger.info(
        { loadTestId: input.id, revisionId: revision.id, revisionNumber: revision.revisionNumber },
        "script revision saved",
      );
      return revision;
    }),

  latest: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/load-tests/{id}/script", tags: TAGS, summary: "Get the latest revision" },
    })
    .input(z.strictObject({ id: entityIdSchema }))
    .output(scriptRevisionSchema)
    .query(async ({ ctx, input }) => {
      const test = await loadTestInScope(ctx, input.id);
      const revision = await ctx.store.getScriptRevision(test.id, test.latestRevisionId);
      if (revision === undefined) throw notFound("REVISION", test.latestRevisionId);
      return revision;
    }),

  revisions: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/script/revisions",
        tags: TAGS,
        summary: "List script revisions, newest first",
      },
    })
    .input(listRevisionsInputSchema)
    .output(pageSchema(scriptRevisionSchema))
    .query(async ({ ctx, input }) => {
      await loadTestInScope(ctx, input.id);
      return ctx.store.listScriptRevisions(input.id, input);
    }),

  revision: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/script/revisions/{revisionId}",
        tags: TAGS,
        summary: "Get one script revision",
      },
    })
    .input(getRevisionInputSchema)
    .output(scriptRevisionSchema)
    .query(async ({ ctx, input }) => {
      await loadTestInScope(ctx, input.id);
      const revision = await ctx.store.getScriptRevision(input.id, input.revisionId);
      if (revision === undefined) throw notFound("REVISION", input.revisionId, "revisionId");
      return revision;
    }),
});
