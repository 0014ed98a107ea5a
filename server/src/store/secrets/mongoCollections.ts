import type { Collection, Db } from "mongodb";
import type { SecretRecord } from "./secretRepository.js";

/** Documents keep the entity's `id` as `_id` too. */
/** `_id` is the scope and name, JSON-encoded: one secret per scope and name. */
export type SecretDoc = Omit<SecretRecord, "envId"> & { _id: string; envId: string | null };

export const secretsCollection = (db: Db): Collection<SecretDoc> => db.collection("secrets");
