import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { Principal } from "./auth.js";
import type { Context } from "./context.js";
import { AppError, describeError } from "./errors.js";
import { isStoreUnavailable } from "./store/unavailable.js";

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    transformer: superjson,
    // Proxies drop quiet connections; a comment line every 15 s keeps SSE subscriptions open.
    sse: { ping: { enabled: true, intervalMs: 15_000 } },
    errorFormatter({ shape, error }) {
      const { appCode, message, field, issues } = describeError(error);
      const { stack: _stack, ...data } = shape.data;
      return {
        ...shape,
        message,
        data: { ...data, appCode, ...(field !== undefined ? { field } : {}), ...(issues ? { issues } : {}) },
      };
    },
  });

export const router = t.router;
export const createCallerFactory = t.createCallerFactory;

/**
 * Every procedure: a store that cannot be reached answers 503 STORE_UNAVAILABLE (retry later), not a
 * 500 that reads as a bug. Ingest's plugin retries a 503 and keeps its snapshots meanwhile.
 */
const base = t.procedure.use(async ({ next }) => {
  const result = await next();
  if (!result.ok && isStoreUnavailable(result.error.cause)) {
    throw new AppError("STORE_UNAVAILABLE", "the store cannot be reached right now; retry shortly");
  }
  return result;
});

/** No token needed (health checks, ingest has its own). */
export const publicProcedure = base;

/** A procedure's context once its token is valid. */
export type AuthedContext = Context & { principal: Principal };

/** Any valid token; `ctx.principal` is set. */
export const authedProcedure = base.use(({ ctx, next }) => {
  if (ctx.principal === undefined) {
    throw new AppError(
      "UNAUTHORIZED",
      ctx.authProblem ?? "missing or invalid bearer token (Authorization: Bearer <token>)",
    );
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});

/** A token that may write: admin or editor. */
export const editorProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.principal.role === "viewer") {
    throw new AppError("READ_ONLY_TOKEN", `token "${ctx.principal.name}" is read-only (viewer)`);
  }
  return next();
});

/** Locust's ingest calls: the run's own token (or the deployment's Locust callback token) for the `runId` in the body. */
export const ingestProcedure = base.use(async ({ ctx, getRawInput, next }) => {
  const raw = await getRawInput();
  const runId = typeof raw === "object" && raw !== null && "runId" in raw ? raw.runId : undefined;
  if (typeof runId === "string" && !ctx.runTokens.allows(runId, ctx.bearerToken)) {
    throw new AppError("UNAUTHORIZED", `missing or wrong ingest token for run ${runId}`);
  }
  return next();
});
