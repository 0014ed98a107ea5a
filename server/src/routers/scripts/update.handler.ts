import type { z } from "zod";
import { newId } from "../../ids.js";
import type { updateScriptInputSchema } from "@loadmgr/shared";
import { actorOf, loadTestInScope } from "../../domain/access.js";
import { checkScriptSyntax } from "../../domain/scriptCheck.js";
import { revisionFiles, type RevisionFiles } from "../../domain/revisionFiles.js";
import { notFound } from "../../errors.js";
import type { AuthedContext } from "../../trpc.js";

export async function updateHandler(ctx: AuthedContext, input: z.infer<typeof updateScriptInputSchema>) {
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
}
