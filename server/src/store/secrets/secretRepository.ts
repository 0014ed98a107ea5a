import type { Secret } from "@loadmgr/shared";

export type SecretScope = Pick<Secret, "accountId" | "orgId" | "projectId">;
/** A secret as stored: its value encrypted (secrets/secretBox.ts). */
export type SecretRecord = Secret & { ciphertext: string };

/** Secrets, one per scope (project, or one of its envs) and name. */
export interface SecretRepository {
  /** Inserts or replaces the secret of that scope and name (createdAt/By kept on a replace); true when it was new. */
  put(secret: SecretRecord): Promise<boolean>;
  /** The secrets of the project, of one env and the project's own when `envId` is given (null: the project's only). */
  list(scope: SecretScope, envId?: string | null): Promise<SecretRecord[]>;
  delete(scope: SecretScope, envId: string | null, name: string): Promise<boolean>;
}
