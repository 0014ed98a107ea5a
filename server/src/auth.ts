import { timingSafeEqual, createHash } from "node:crypto";
import type { Config } from "./config.js";

export type Role = "admin" | "editor" | "viewer";

/** Who is calling, and the part of the hierarchy they may see. Admins see everything. */
export interface Principal {
  name: string;
  role: Role;
  accountId?: string;
  orgId?: string;
  projectId?: string;
}

export interface Scoped {
  accountId: string;
  orgId: string;
  projectId: string;
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** Compares two secrets in constant time (of their digests, so lengths need not match). */
export function tokensEqual(a: string, b: string): boolean {
  return timingSafeEqual(digest(a), digest(b));
}

/** The token of an `Authorization: Bearer <token>` header. */
export function bearerToken(header: string | undefined): string | undefined {
  return /^Bearer\s+(\S+)\s*$/i.exec(header ?? "")?.[1];
}

/** Builds the function that turns a bearer token into a principal (or undefined for none / a wrong one). */
export function createAuthenticator(
  config: Config,
  adminToken: string,
): (header: string | undefined) => Principal | undefined {
  const scoped = config.security.tokens;
  return (header) => {
    const token = bearerToken(header);
    if (token === undefined) return undefined;
    if (tokensEqual(token, adminToken)) return { name: "admin", role: "admin" };
    const entry = scoped.find((t) => tokensEqual(token, t.token));
    if (entry === undefined) return undefined;
    return {
      name: entry.name,
      role: entry.role,
      accountId: entry.accountId,
      ...(entry.orgId !== undefined ? { orgId: entry.orgId } : {}),
      ...(entry.projectId !== undefined ? { projectId: entry.projectId } : {}),
    };
  };
}

/** True when the principal's scope contains the entity's account/org/project. */
export function inScope(principal: Principal, entity: Scoped): boolean {
  return (
    (principal.accountId === undefined || principal.accountId === entity.accountId) &&
    (principal.orgId === undefined || principal.orgId === entity.orgId) &&
    (principal.projectId === undefined || principal.projectId === entity.projectId)
  );
}

/**
 * Narrows a list filter to the principal's scope. Returns undefined when the filter asks for
 * something outside the scope, so the caller answers with an empty page.
 */
export function scopeFilter<F extends { accountId?: string; orgId?: string; projectId?: string }>(
  principal: Principal,
  filter: F,
): F | undefined {
  const narrowed = { ...filter };
  for (const key of ["accountId", "orgId", "projectId"] as const) {
    const fixed = principal[key];
    if (fixed === undefined) continue;
    if (narrowed[key] !== undefined && narrowed[key] !== fixed) return undefined;
    narrowed[key] = fixed;
  }
  return narrowed;
}
