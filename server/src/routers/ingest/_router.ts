import {
  ingestAckSchema,
  metricSnapshotInputSchema,
  runFileInputSchema,
  runFileSchema,
  testStartInputSchema,
  testStopInputSchema,
} from "@loadmgr/shared";
import { ingestProcedure, router } from "../../trpc.js";
import { testStartHandler } from "./testStart.handler.js";
import { metricsHandler } from "./metrics.handler.js";
import { filesHandler } from "./files.handler.js";
import { testStopHandler } from "./testStop.handler.js";

const TAGS = ["internal: Locust ingest"];

export const ingestRouter = router({
  testStart: ingestProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/internal/locust/test-start",
        tags: TAGS,
        protect: false,
        summary: "Locust has started the run's load",
      },
    })
    .input(testStartInputSchema)
    .output(ingestAckSchema)
    .mutation(({ ctx, input }) => testStartHandler(ctx, input)),

  metrics: ingestProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/internal/locust/metrics",
        tags: TAGS,
        protect: false,
        summary: "One interval's snapshot; idempotent on (runId, seq)",
      },
    })
    .input(metricSnapshotInputSchema)
    .output(ingestAckSchema)
    .mutation(({ ctx, input }) => metricsHandler(ctx, input)),

  files: ingestProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/internal/locust/files",
        tags: TAGS,
        protect: false,
        summary:
          "A file of the run's Locust (its CSVs, its log) as its master ended; one sent again under its name replaces it",
      },
    })
    .input(runFileInputSchema)
    .output(runFileSchema)
    .mutation(({ ctx, input }) => filesHandler(ctx, input)),

  testStop: ingestProcedure
    .meta({
      openapi: {
        method: "POST",
        path: "/v1/internal/locust/test-stop",
        tags: TAGS,
        protect: false,
        summary: "Locust has stopped: duration elapsed (Finished), stopped (Stopped) or error (Failed)",
      },
    })
    .input(testStopInputSchema)
    .output(ingestAckSchema)
    .mutation(({ ctx, input }) => testStopHandler(ctx, input)),
});
