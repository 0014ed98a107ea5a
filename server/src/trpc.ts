import { initTRPC } from "@trpc/server";
import superjson from "superjson";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { Context } from "./context.js";
import { AppError, describeError } from "./errors.js";

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

/** No token needed (health checks, ingest has its own). */
export const publicProcedure = t.procedure;

/** Any valid token; `ctx.principal` is set. */
export const authedProcedure = t.procedure.use(({ ctx, next }) => {
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
export const ingestProcedure = t.procedure.use(async ({ ctx, getRawInput, next }) => {
  const raw = await getRawInput();
  const runId = typeof raw === "object" && raw !== null && "runId" in raw ? raw.runId : undefined;
  if (typeof runId === "string" && !ctx.runTokens.allows(runId, ctx.bearerToken)) {
    throw new AppError("UNAUTHORIZED", `missing or wrong ingest token for run ${runId}`);
  }
  return next();
});
