import type { LoadTest, LoadTestRun } from "@loadmgr/shared";
import { inScope, type Principal, type Scoped } from "../auth.js";
import type { Logger } from "../logger.js";
import type { Store } from "../store/store.js";
import { AppError, notFound } from "../errors.js";

/** A caller with a valid token, and what looking things up in its scope needs (a procedure's context is one). */
export interface ScopedCaller {
  principal: Principal;
  store: Store;
  logger: Logger;
}

/**
 * What `get` finds, if it exists and the caller's scope contains it; otherwise 404 as `what` (never
 * "exists but not yours"). The one lookup every procedure by id goes through.
 */
export async function findInScope<T extends Scoped>(
  ctx: ScopedCaller,
  what: Parameters<typeof notFound>[0],
  id: string,
  get: (id: string) => Promise<T | undefined>,
): Promise<T> {
  const found = await get(id);
  if (found === undefined || !inScope(ctx.principal, found)) throw notFound(what, id);
  return found;
}

export const loadTestInScope = (ctx: ScopedCaller, id: string): Promise<LoadTest> =>
  findInScope(ctx, "LOAD_TEST", id, (i) => ctx.store.tests.get(i));

export const runInScope = (ctx: ScopedCaller, id: string): Promise<LoadTestRun> =>
  findInScope(ctx, "RUN", id, (i) => ctx.store.runs.get(i));

/** Creating something in a scope the token does not cover is refused with 403, naming the field. */
export function checkWritableScope(principal: Principal, target: Scoped): void {
  for (const key of ["accountId", "orgId", "projectId"] as const) {
    const fixed = principal[key];
    if (fixed !== undefined && fixed !== target[key]) {
      throw new AppError("OUT_OF_SCOPE", `token "${principal.name}" may only write in ${key} ${fixed}`, key);
    }
  }
}

/**
 * Who a write is recorded as: the token's own name. Only the admin token may name someone else (a
 * tool acting for a person); the log keeps who really wrote it.
 */
export function actorOf(ctx: ScopedCaller, claimed: string | undefined, field: string): string {
  if (claimed === undefined || claimed === ctx.principal.name) return ctx.principal.name;
  if (ctx.principal.role !== "admin") {
    throw new AppError(
      "ACTOR_NOT_ALLOWED",
      `only the admin token may write as someone else; this token writes as "${ctx.principal.name}"`,
      field,
    );
  }
  ctx.logger.info({ actor: claimed, by: ctx.principal.name }, "write recorded on someone's behalf");
  return claimed;
}
