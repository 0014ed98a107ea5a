import { createHash } from "node:crypto";
import { newId } from "../ids.js";
import {
  entityIdSchema,
  getRevisionInputSchema,
  getScriptFileInputSchema,
  LOCUSTFILE_PATH,
  scriptFileSchema,
  listRevisionsInputSchema,
  pageSchema,
  scriptRevisionSchema,
  updateScriptInputSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { actorOf, loadTestInScope } from "../domain/access.js";
import { checkScriptSyntax } from "../domain/scriptCheck.js";
import { revisionFiles, type RevisionFiles } from "../domain/revisionFiles.js";
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
      const test = await loadTestInScope(ctx, input.id);
      await checkScriptSyntax(ctx, input.scriptContent);
      const now = ctx.now();
      // Files not sent: the latest revision's are kept, so a new locustfile does not lose its helpers.
      let files: RevisionFiles;
      if (input.files !== undefined) {
        files = revisionFiles(input.files);
      } else {
        const latest = await ctx.store.tests.getRevision(test.id, test.latestRevisionId);
        const infos = latest?.files ?? [];
        files = { infos, contents: latest === undefined ? [] : await ctx.store.tests.getFiles(latest.id) };
      }
      const revision = await ctx.store.tests.addRevision(
        {
          id: newId(now),
          loadTestId: input.id,
          scriptContent: input.scriptContent,
          files: files.infos,
          description: input.description,
          createdAt: now,
          createdBy: actorOf(ctx, input.updatedBy, "updatedBy"),
        },
        files.contents,
      );
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
      const revision = await ctx.store.tests.getRevision(test.id, test.latestRevisionId);
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
      return ctx.store.tests.listRevisions(input.id, input);
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
      const revision = await ctx.store.tests.getRevision(input.id, input.revisionId);
      if (revision === undefined) throw notFound("REVISION", input.revisionId, "revisionId");
      return revision;
    }),

  file: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/script/revisions/{revisionId}/file",
        tags: TAGS,
        summary: "Get one file of a script revision, by its path (?path=data/users.csv)",
      },
    })
    .input(getScriptFileInputSchema)
    .output(scriptFileSchema)
    .query(async ({ ctx, input }) => {
      await loadTestInScope(ctx, input.id);
      const revision = await ctx.store.tests.getRevision(input.id, input.revisionId);
      if (revision === undefined) throw notFound("REVISION", input.revisionId, "revisionId");
      if (input.path === LOCUSTFILE_PATH) {
        const content = Buffer.from(revision.scriptContent, "base64");
        return {
          path: LOCUSTFILE_PATH,
          sizeBytes: content.length,
          sha256: createHash("sha256").update(content).digest("hex"),
          split: false,
          contentBase64: revision.scriptContent,
        };
      }
      const info = revision.files.find((f) => f.path === input.path);
      const [file] = info === undefined ? [] : await ctx.store.tests.getFiles(revision.id, [info.path]);
      if (info === undefined || file === undefined) throw notFound("FILE", input.path, "path");
      return { ...info, contentBase64: file.content.toString("base64") };
    }),
});
