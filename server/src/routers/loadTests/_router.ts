import {
  byIdInputSchema,
  createLoadTestInputSchema,
  entityIdSchema,
  listLoadTestsInputSchema,
  loadTestSchema,
  pageSchema,
  updateLoadTestInputSchema,
} from "@loadmgr/shared";
import { z } from "zod";
import { loadTestInScope } from "../../domain/access.js";
import { authedProcedure, editorProcedure, router } from "../../trpc.js";
import { createHandler } from "./create.handler.js";
import { listHandler } from "./list.handler.js";
import { updateHandler } from "./update.handler.js";
import { deleteHandler } from "./delete.handler.js";

const TAGS = ["load-tests"];

export const loadTestsRouter = router({
  create: editorProcedure
    .meta({
      openapi: { method: "POST", path: "/v1/load-tests", tags: TAGS, summary: "Create a load test and its revision 1" },
    })
    .input(createLoadTestInputSchema)
    .output(loadTestSchema)
    .mutation(({ ctx, input }) => createHandler(ctx, input)),

  get: authedProcedure
    .meta({ openapi: { method: "GET", path: "/v1/load-tests/{id}", tags: TAGS, summary: "Get a load test" } })
    .input(byIdInputSchema)
    .output(loadTestSchema)
    .query(({ ctx, input }) => loadTestInScope(ctx, input.id)),

  list: authedProcedure
    .meta({
      openapi: { method: "GET", path: "/v1/load-tests", tags: TAGS, summary: "List load tests, newest first" },
    })
    .input(listLoadTestsInputSchema)
    .output(pageSchema(loadTestSchema))
    .query(({ ctx, input }) => listHandler(ctx, input)),

  update: editorProcedure
    .meta({
      openapi: {
        method: "PUT",
        path: "/v1/load-tests/{id}",
        tags: TAGS,
        summary: "Change a load test's fields (those sent; the script has its own endpoint)",
      },
    })
    .input(updateLoadTestInputSchema)
    .output(loadTestSchema)
    .mutation(({ ctx, input }) => updateHandler(ctx, input)),

  delete: editorProcedure
    .meta({
      openapi: {
        method: "DELETE",
        path: "/v1/load-tests/{id}",
        tags: TAGS,
        summary: "Delete a load test with its revisions, runs and metrics",
      },
    })
    .input(byIdInputSchema)
    .output(z.object({ id: entityIdSchema, deleted: z.literal(true) }))
    .mutation(({ ctx, input }) => deleteHandler(ctx, input)),
});
