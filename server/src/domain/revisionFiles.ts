import { createHash } from "node:crypto";
import type { ScriptFileInfo, ScriptFileInput } from "@loadmgr/shared";
import type { FileContent, Store } from "../store/store.js";

/** A revision's files as the store keeps them: the list (sorted by path, with sizes and hashes) and the bytes. */
export interface RevisionFiles {
  infos: ScriptFileInfo[];
  contents: FileContent[];
}

/** Files as a client sent them (already checked by scriptFilesInputSchema), ready to store. */
export function revisionFiles(input: ScriptFileInput[]): RevisionFiles {
  const files = [...input]
    .sort((a, b) => (a.path < b.path ? -1 : 1))
    .map((f) => ({ ...f, content: Buffer.from(f.contentBase64, "base64") }));
  return {
    infos: files.map((f) => ({
      path: f.path,
      sizeBytes: f.content.length,
      sha256: createHash("sha256").update(f.content).digest("hex"),
      split: f.split,
    })),
    contents: files.map((f) => ({ path: f.path, content: f.content })),
  };
}

/** What a runner places beside the locustfile: every file of the revision, whole (the supervisor splits). */
export async function filesForRun(
  store: Store,
  revision: { id: string; files: ScriptFileInfo[] },
): Promise<{ path: string; contentBase64: string; split: boolean }[]> {
  if (revision.files.length === 0) return [];
  const contents = new Map((await store.tests.getFiles(revision.id)).map((f) => [f.path, f.content]));
  return revision.files.map((info) => {
    const content = contents.get(info.path);
    if (content === undefined) throw new Error(`file ${info.path} of revision ${revision.id} is missing`);
    return { path: info.path, contentBase64: content.toString("base64"), split: info.split };
  });
}
