import { randomUUID } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import type { Collection, Db, Document } from "mongodb";
import { isDuplicateKey } from "../../db/mongoShared.js";
import { decodeCursor } from "../cursor.js";

/** Answers leave out the `_id` documents keep (the entity's `id` again). */
export const HIDDEN = { projection: { _id: 0 } } as const;

export function withoutId<T extends { _id: string }>(doc: T | null): Omit<T, "_id"> | undefined {
  if (doc === null) return undefined;
  const { _id, ...rest } = doc;
  return rest;
}

/** Documents after the cursor's one, newest first by createdAt, then _id. */
export function cursorFilter(cursor: string | undefined): Document {
  if (cursor === undefined) return {};
  const key = decodeCursor(cursor);
  return { $or: [{ createdAt: { $lt: key.k } }, { createdAt: key.k, _id: { $lt: key.id } }] };
}

/**
 * Gives the autoStop at `path` of each document stored before windowSec its windowSec: the value of
 * windowSeconds, the name it had (kept beside it, deprecated).
 */
export async function addWindowSec<T extends { _id: string }>(stored: Collection<T>, path: string): Promise<void> {
  // (The path is named at run time: the driver's typed filters cannot check it.)
  const collection = stored as unknown as Collection<Document>;
  const older = await collection
    .find(
      { [`${path}.windowSeconds`]: { $exists: true }, [`${path}.windowSec`]: { $exists: false } },
      { projection: { _id: 1, [`${path}.windowSeconds`]: 1 } },
    )
    .toArray();
  for (const doc of older) {
    const autoStop = path.split(".").reduce<unknown>((at, key) => (at as Record<string, unknown>)[key], doc) as {
      windowSeconds: number;
    };
    await collection.updateOne({ _id: doc._id }, { $set: { [`${path}.windowSec`]: autoStop.windowSeconds } });
  }
}

interface LockDoc {
  _id: string;
  owner: string;
  expiresAt: number;
}

/** A lock holder that died is taken over after this long; every locked section is a few queries. */
const LOCK_LEASE_MS = 10_000;
const LOCK_WAIT_MS = 15_000;

const backoff = (attempt: number): Promise<void> => sleep(Math.min(20, 1 + attempt) * Math.random());

/**
 * Named lease locks shared by the repositories. The store needs no multi-document transactions nor
 * atomic conditional updates (FerretDB 1.x, the test server, has neither): every read-modify-write
 * runs under a lock whose acquisition is a unique-key insert.
 */
export class MongoLocks {
  private readonly locks: Collection<LockDoc>;

  constructor(db: Db) {
    this.locks = db.collection("locks");
  }

  /** Runs `section` while holding the named lock (a document whose unique `_id` only one writer can insert). */
  async withLock<T>(name: string, section: () => Promise<T>): Promise<T> {
    const owner = randomUUID();
    const deadline = Date.now() + LOCK_WAIT_MS;
    for (let attempt = 0; ; attempt++) {
      try {
        await this.locks.insertOne({ _id: name, owner, expiresAt: Date.now() + LOCK_LEASE_MS });
        break;
      } catch (error) {
        if (!isDuplicateKey(error)) throw error;
        await this.locks.deleteOne({ _id: name, expiresAt: { $lt: Date.now() } });
        if (Date.now() > deadline) throw new Error(`lock ${name} still held after ${LOCK_WAIT_MS} ms`);
        await backoff(attempt);
      }
    }
    try {
      return await section();
    } finally {
      await this.locks.deleteOne({ _id: name, owner });
    }
  }
}
