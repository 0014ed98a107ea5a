import { router } from "../trpc.js";
import { accountRouter } from "./account/_router.js";
import { agentPoolsRouter } from "./agentPools/_router.js";
import { agentSyncRouter } from "./agentSync/_router.js";
import { analyticsRouter } from "./analytics/_router.js";
import { ingestRouter } from "./ingest/_router.js";
import { loadTestsRouter } from "./loadTests/_router.js";
import { runsRouter } from "./runs/_router.js";
import { scriptsRouter } from "./scripts/_router.js";
import { secretsRouter } from "./secrets/_router.js";
import { webhooksRouter } from "./webhooks/_router.js";
import { schedulesRouter } from "./schedules/_router.js";

const publicProcedures = {
  account: accountRouter,
  loadTests: loadTestsRouter,
  scripts: scriptsRouter,
  runs: runsRouter,
  analytics: analyticsRouter,
  agentPools: agentPoolsRouter,
  secrets: secretsRouter,
  webhooks: webhooksRouter,
  schedules: schedulesRouter,
};

/** The public API: what the typed client, the CLI and the dashboard call (over tRPC and REST). */
export const appRouter = router(publicProcedures);

/** The whole public API's type; the client package imports only this (no internal procedure in it). */
export type AppRouter = typeof appRouter;

/**
 * What the server serves over REST: the public API and the internal procedures, the Locust plugin's
 * ingest (`/v1/internal/locust/*`) and the agents' calls (`/v1/internal/agents/sync`), which are not
 * on tRPC and not in AppRouter.
 */
export const serverRouter = router({
  ...publicProcedures,
  ingest: ingestRouter,
  agents: agentSyncRouter,
});
