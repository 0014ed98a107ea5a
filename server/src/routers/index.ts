import { router } from "../trpc.js";
import { accountRouter } from "./account.js";
import { agentPoolsRouter } from "./agentPools.js";
import { analyticsRouter } from "./analytics.js";
import { ingestRouter } from "./ingest.js";
import { loadTestsRouter } from "./loadTests.js";
import { runsRouter } from "./runs.js";
import { scriptsRouter } from "./scripts.js";
import { secretsRouter } from "./secrets.js";
import { webhooksRouter } from "./webhooks.js";
import { schedulesRouter } from "./schedules.js";

export const appRouter = router({
  account: accountRouter,
  loadTests: loadTestsRouter,
  scripts: scriptsRouter,
  runs: runsRouter,
  analytics: analyticsRouter,
  ingest: ingestRouter,
  agentPools: agentPoolsRouter,
  secrets: secretsRouter,
  webhooks: webhooksRouter,
  schedules: schedulesRouter,
});

/** The whole API's type; the client package imports only this. */
export type AppRouter = typeof appRouter;
