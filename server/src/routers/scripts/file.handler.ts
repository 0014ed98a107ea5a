import type { z } from "zod";
import { createHash } from "node:crypto";
import { type getScriptFileInputSchema, LOCUSTFILE_PATH } from "@loadmgr/shared";
import { loadTestInScope } from "../../domain/access.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function fileHandler(ctx: AuthedContext, input: z.infer<typeof getScriptFileInputSchema>) {
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
}
