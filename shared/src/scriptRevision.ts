import { z } from "zod";
import { actorSchema, entityIdSchema, timestampSchema } from "./fields.js";
import { pageInputShape } from "./paging.js";
import { scriptContentSchema } from "./script.js";

export const scriptRevisionSchema = z.object({
  id: entityIdSchema,
  loadTestId: entityIdSchema,
  revisionNumber: z.number().int().min(1),
  scriptContent: z.string().describe("base64 of the locustfile"),
  description: z.string(),
  createdAt: timestampSchema,
  createdBy: z.string(),
});
export type ScriptRevision = z.infer<typeof scriptRevisionSchema>;

export const updateScriptInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  scriptContent: scriptContentSchema,
  description: z.string().max(1000).default(""),
  updatedBy: actorSchema.optional().describe("defaults to the token's name"),
});
export type UpdateScriptInput = z.infer<typeof updateScriptInputSchema>;

export const listRevisionsInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  ...pageInputShape,
});

export const getRevisionInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  revisionId: entityIdSchema,
});
