import { z } from "zod";
import { base64Bytes, isBase64 } from "./script.js";
import { LOCUSTFILE_PATH, pathProblem } from "./scriptPaths.js";

/** At most this many files beside the locustfile in one revision. */
export const MAX_SCRIPT_FILES = 200;
/** At most this many bytes in the files of one revision, decoded (the locustfile has its own 1 MiB). */
export const MAX_REVISION_BYTES = 10 * 1024 * 1024;
export const scriptFileInputSchema = z.strictObject({
  path: z.string().describe('relative to the locustfile, with "/": "lib/helpers.py", "data/users.csv"'),
  contentBase64: z.string().transform((value) => value.replace(/\s+/g, "")),
  split: z
    .boolean()
    .default(false)
    .describe("a CSV whose rows (after its header) are shared out among the run's Locust workers, each its own"),
});
export type ScriptFileInput = z.infer<typeof scriptFileInputSchema>;

/**
 * The files of a revision beside its locustfile, checked as a whole: each path valid and used once
 * (and not both as a file and as a directory), each content base64, at most MAX_SCRIPT_FILES files
 * and MAX_REVISION_BYTES with the locustfile. Every problem names its file's index.
 */
export const scriptFilesInputSchema = z
  .array(scriptFileInputSchema)
  .max(MAX_SCRIPT_FILES, `at most ${MAX_SCRIPT_FILES} files`)
  .superRefine((files, ctx) => {
    const seen = new Set<string>();
    let total = 0;
    files.forEach((file, index) => {
      const problem = pathProblem(file.path);
      if (problem !== null) {
        ctx.addIssue({
          code: "custom",
          path: [index, "path"],
          message: problem,
          params: { code: "INVALID_FILE_PATH" },
        });
      } else if (seen.has(file.path)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "path"],
          message: `${file.path} is listed twice`,
          params: { code: "DUPLICATE_FILE_PATH" },
        });
      }
      seen.add(file.path);
      if (!isBase64(file.contentBase64)) {
        ctx.addIssue({
          code: "custom",
          path: [index, "contentBase64"],
          message: "is not valid base64",
          params: { code: "FILE_NOT_BASE64" },
        });
      } else {
        total += base64Bytes(file.contentBase64);
      }
      if (file.split && !file.path.toLowerCase().endsWith(".csv")) {
        ctx.addIssue({
          code: "custom",
          path: [index, "split"],
          message: "only a .csv file can be split among workers",
          params: { code: "INVALID_FILE_PATH" },
        });
      }
    });
    // "a" and "a/b" cannot both be files: one would have to be a directory.
    for (const path of seen) {
      const segments = path.split("/");
      for (let i = 1; i < segments.length; i++) {
        const parent = segments.slice(0, i).join("/");
        if (seen.has(parent) || parent === LOCUSTFILE_PATH) {
          ctx.addIssue({
            code: "custom",
            path: [files.findIndex((f) => f.path === path), "path"],
            message: `${parent} is a file, so it cannot also be a directory`,
            params: { code: "DUPLICATE_FILE_PATH" },
          });
        }
      }
    }
    if (total > MAX_REVISION_BYTES) {
      ctx.addIssue({
        code: "custom",
        message: `the files hold ${total} bytes; a revision's files hold at most ${MAX_REVISION_BYTES} (10 MiB)`,
        params: { code: "REVISION_TOO_LARGE" },
      });
    }
  });

/** A file of a revision as lists show it: no content. */
export const scriptFileInfoSchema = z.object({
  path: z.string(),
  sizeBytes: z.number().int(),
  sha256: z.string().describe("hex SHA-256 of the content: equal in two revisions means unchanged"),
  split: z.boolean(),
});
export type ScriptFileInfo = z.infer<typeof scriptFileInfoSchema>;

export const scriptFileSchema = scriptFileInfoSchema.extend({
  contentBase64: z.string(),
});
export type ScriptFile = z.infer<typeof scriptFileSchema>;
