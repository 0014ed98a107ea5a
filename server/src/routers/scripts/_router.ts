import {
  byIdInputSchema,
  getRevisionInputSchema,
  getScriptFileInputSchema,
  scriptFileSchema,
  listRevisionsInputSchema,
  pageSchema,
  scriptRevisionSchema,
  updateScriptInputSchema,
} from "@loadmgr/shared";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { updateHandler } from "./update.handler.js";
import { latestHandler } from "./latest.handler.js";
import { revisionsHandler } from "./revisions.handler.js";
import { revisionHandler } from "./revision.handler.js";
import { fileHandler } from "./file.handler.js";

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
    .mutation(({ ctx, input }) => updateHandler(ctx, input)),

  latest: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/load-tests/{id}/script", tags: TAGS, summary: "Get the latest revision" },
    })
    .input(byIdInputSchema)
    .output(scriptRevisionSchema)
    .query(({ ctx, input }) => latestHandler(ctx, input)),

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
    .query(({ ctx, input }) => revisionsHandler(ctx, input)),

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
    .query(({ ctx, input }) => revisionHandler(ctx, input)),

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
    .query(({ ctx, input }) => fileHandler(ctx, input)),
});
