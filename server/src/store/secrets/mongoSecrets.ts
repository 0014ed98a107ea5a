import type { Collection, Db } from "mongodb";
import { isDuplicateKey } from "../../db/mongoShared.js";
import { HIDDEN } from "../mongo/mongoDocs.js";
import { type SecretRecord, type SecretScope, type SecretRepository } from "./secretRepository.js";
import { secretsCollection, type SecretDoc } from "./mongoCollections.js";

export class MongoSecrets implements SecretRepository {
  private readonly secrets: Collection<SecretDoc>;

  constructor(db: Db) {
    this.secrets = secretsCollection(db);
  }

  async put(secret: SecretRecord): Promise<boolean> {
    const _id = secretId(secret, secret.envId, secret.name);
    try {
      await this.secrets.insertOne({ _id, ...secret });
      return true;
    } catch (error) {
      if (!isDuplicateKey(error)) throw error;
    }
    await this.secrets.updateOne(
      { _id },
      { $set: { ciphertext: secret.ciphertext, updatedAt: secret.updatedAt, updatedBy: secret.updatedBy } },
    );
    return false;
  }

  async list(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]> {
    const rows = await this.secrets
      .find(
        {
          accountId: scope.accountId,
          orgId: scope.orgId,
          projectId: scope.projectId,
          ...(envId === undefined ? {} : { envId: { $in: envId === null ? [null] : [null, envId] } }),
        },
        HIDDEN,
      )
      .limit(10_000)
      .toArray();
    return rows.sort((a, b) =>
      a.name === b.name ? (a.envId ?? "").localeCompare(b.envId ?? "") : a.name < b.name ? -1 : 1,
    );
  }

  async delete(scope: SecretScope, envId: string | null, name: string): Promise<boolean> {
    const { deletedCount } = await this.secrets.deleteOne({ _id: secretId(scope, envId, name) });
    return deletedCount > 0;
  }
}

function secretId(scope: SecretScope, envId: string | null, name: string): string {
  return JSON.stringify([scope.accountId, scope.orgId, scope.projectId, envId ?? "", name]);
}
