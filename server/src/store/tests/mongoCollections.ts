import type { Binary, Collection, Db } from "mongodb";
import type { LoadTest, ScriptRevision } from "@loadmgr/shared";

/** Documents keep the entity's `id` as `_id` too. */
export type LoadTestDoc = LoadTest & { _id: string };
export type RevisionDoc = ScriptRevision & { _id: string };
/** A revision's file: `_id` is "<revisionId>/<path>" (FerretDB pushes down only `_id` equality). */
export interface FileDoc {
  _id: string;
  revisionId: string;
  loadTestId: string;
  path: string;
  content: Binary;
}

export const loadTestsCollection = (db: Db): Collection<LoadTestDoc> => db.collection("load_tests");

export const revisionsCollection = (db: Db): Collection<RevisionDoc> => db.collection("script_revisions");

export const filesCollection = (db: Db): Collection<FileDoc> => db.collection("script_files");
