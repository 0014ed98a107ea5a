import { z } from "zod";
import { actorSchema, entityIdSchema, timestampSchema } from "./fields.js";
import { pageInputShape } from "./paging.js";
import { scriptContentSchema } from "./script.js";
import { scriptFileInfoSchema, scriptFilesInputSchema } from "./scriptFiles.js";

export const scriptRevisionSchema = z.object({
  id: entityIdSchema,
  loadTestId: entityIdSchema,
  revisionNumber: z.number().int().min(1),
  scriptContent: z.string().describe("base64 of the locustfile"),
  files: z
    .array(scriptFileInfoSchema)
    .describe("the other files, sorted by path (GET …/files?path= for one's content)"),
  description: z.string(),
  createdAt: timestampSchema,
  createdBy: z.string(),
});
export type ScriptRevision = z.infer<typeof scriptRevisionSchema>;

export const updateScriptInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  scriptContent: scriptContentSchema,
  files: scriptFilesInputSchema
    .optional()
    .describe("the revision's other files; omitted: the latest revision's files are kept as they are, [] drops them"),
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

export const getScriptFileInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  revisionId: entityIdSchema,
  path: z.string().min(1).max(255).describe('the file\'s path in the revision, e.g. "data/users.csv"'),
});
