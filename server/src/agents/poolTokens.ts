import { createHash, randomBytes } from "node:crypto";
import { tokensEqual } from "../auth.js";

/**
 * A pool's enrollment token: `lmp_<poolId>_<secret>`. The pool id finds the pool; only the secret's
 * SHA-256 is stored, so a copy of the database enrolls no agent.
 */
export function newPoolToken(poolId: string): { token: string; hash: string } {
  const secret = randomBytes(24).toString("base64url");
  return { token: `lmp_${poolId}_${secret}`, hash: hashSecret(secret) };
}

/** The token of a pool whose secret is given (the local pool's, derived from the deployment's secret). */
export function poolToken(poolId: string, secret: string): { token: string; hash: string } {
  return { token: `lmp_${poolId}_${secret}`, hash: hashSecret(secret) };
}

function hashSecret(secret: string): string {
  return createHash("sha256").update(secret).digest("hex");
}

/** The pool a token names, if it has that shape. */
export function poolIdOf(token: string): { poolId: string; secret: string } | undefined {
  const match = /^lmp_([A-Za-z0-9.-]{1,64})_([A-Za-z0-9_-]{16,128})$/.exec(token);
  return match === null ? undefined : { poolId: match[1] ?? "", secret: match[2] ?? "" };
}

/** Whether `secret` is the one whose hash the pool keeps (false for a revoked pool). */
export function secretMatches(secret: string, tokenHash: string | null): boolean {
  return tokenHash !== null && tokensEqual(hashSecret(secret), tokenHash);
}
