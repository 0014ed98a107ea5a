import {
  ingestAckSchema,
  intervalFigures,
  isTerminal,
  MAX_RUN_FILE_BYTES,
  metricSnapshotInputSchema,
  runFileInputSchema,
  runFileSchema,
  type RunFile,
  testStartInputSchema,
  testStopInputSchema,
  type IngestAck,
  type LoadTestRun,
  type MetricSnapshotInput,
  type RunMetricsSummary,
} from "@loadmgr/shared";
import type { Context } from "../context.js";
import { AppError, notFound } from "../errors.js";
import { ingestProcedure, router } from "../trpc.js";
import { LOCUST_ACTOR } from "../runs/runService.js";

const TAGS = ["internal: Locust ingest"];

/** The run, if it may still take reports; a run that has ended answers RUN_FINISHED (the plugin then stops sending). */
async function openRun(ctx: Context, runId: string): Promise<LoadTestRun> {
  const run = await ctx.store.runs.get(runId);
  if (run === undefined) throw notFound("RUN", runId, "runId");
  if (isTerminal(run.status))
    throw new AppError("RUN_FINISHED", `run ${runId} has already ended (${run.status})`, "runId");
  return run;
}

/** How far a generator's clock may be from the server's: a report's time must lie in the run's life. */
const CLOCK_SKEW_MS = 60_000;
const BEFORE_CREATED_MS = 5 * 60_000;

/**
 * Refuses a report timed outside [created − 5 min, now + 1 min]: a time far in the future would
 * freeze the run's last-seen time (the silence rule could never fire) and one far in the past would
 * stretch its figures over decades.
 */
function checkTimestamp(ctx: Context, run: LoadTestRun, timestamp: number): void {
  const now = ctx.now();
  if (timestamp > now + CLOCK_SKEW_MS || timestamp < run.createdAt - BEFORE_CREATED_MS) {
    throw new AppError(
      "TIMESTAMP_OUT_OF_RANGE",
      `timestamp ${timestamp} is outside the run's life as this server sees it (${run.createdAt - BEFORE_CREATED_MS} to ${now + CLOCK_SKEW_MS}); is the generator's clock right?`,
      "timestamp",
    );
  }
}

function summarize(snapshot: MetricSnapshotInput): RunMetricsSummary {
  const counts = { requests: 0, failures: 0, sumResponseMs: 0 };
  for (const endpoint of snapshot.endpoints) {
    counts.requests += endpoint.requests;
    counts.failures += endpoint.failures;
    counts.sumResponseMs += endpoint.sumResponseMs;
  }
  const { requestsPerSec, failuresPerSec, avgResponseMs } = intervalFigures(counts, snapshot.intervalMs);
  return {
    timestamp: snapshot.timestamp,
    seq: snapshot.seq,
    users: snapshot.users,
    requestsPerSec,
    failuresPerSec,
    totalRequests: snapshot.totalRequests,
    totalFailures: snapshot.totalFailures,
    avgResponseMs,
  };
}

/** A run's files come as its master ends, after the run's end: taken until this long after it. */
const FILES_AFTER_END_MS = 10 * 60_000;

const STATUS_BY_REASON = { duration: "Finished", stopped: "Stopped", error: "Failed" } as const;

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
    .mutation(async ({ ctx, input }): Promise<IngestAck> => {
      const run = await openRun(ctx, input.runId);
      checkTimestamp(ctx, run, input.timestamp);
      const status = await ctx.runs.markRunning(run, input.timestamp);
      ctx.logger.info(
        { runId: run.id, locust: input.locustVersion, workers: input.workers },
        "Locust reported test start",
      );
      return { ok: true, status };
    }),

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
    .mutation(async ({ ctx, input }): Promise<IngestAck> => {
      let status: IngestAck["status"] = "Pending";
      let load: IngestAck["load"] = null;
      const outcome = await ctx.metrics.countIngest(async () => {
        const run = await openRun(ctx, input.runId);
        // The answer tells the master the load asked of it now, when it was changed while it ran.
        const change = run.loadChanges.at(-1);
        if (change !== undefined) {
          load = { version: run.loadChanges.length, targetUsers: change.targetUsers, spawnRate: change.spawnRate };
        }
        checkTimestamp(ctx, run, input.timestamp - input.intervalMs);
        checkTimestamp(ctx, run, input.timestamp);
        status = await ctx.runs.markRunning(run, input.timestamp - input.intervalMs);
        const { requestSamples, ...snapshot } = input;
        return ctx.runs.recordSnapshot(
          { ...run, status },
          {
            ...snapshot,
            loadTestId: run.loadTestId,
            accountId: run.accountId,
            orgId: run.orgId,
            projectId: run.projectId,
            envId: run.envId,
          },
          summarize(input),
          requestSamples,
        );
      });
      return { ok: true, status, duplicate: outcome === "duplicate", load };
    }),

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
    .mutation(async ({ ctx, input }): Promise<RunFile> => {
      const run = await ctx.store.runs.get(input.runId);
      if (run === undefined) throw notFound("RUN", input.runId, "runId");
      if (run.finishedAt !== null && ctx.now() - run.finishedAt > FILES_AFTER_END_MS) {
        throw new AppError(
          "RUN_FINISHED",
          `run ${run.id} ended more than 10 minutes ago: its files are closed`,
          "runId",
        );
      }
      const content = Buffer.from(input.contentBase64, "base64");
      if (content.length > MAX_RUN_FILE_BYTES) {
        throw new AppError(
          "PAYLOAD_TOO_LARGE",
          `a run file holds at most ${MAX_RUN_FILE_BYTES} bytes`,
          "contentBase64",
        );
      }
      const file = { name: input.name, bytes: content.length, truncated: input.truncated, collectedAt: ctx.now() };
      await ctx.metricsStore.putRunFile({ ...file, runId: run.id, loadTestId: run.loadTestId, content });
      ctx.logger.info({ runId: run.id, file: file.name, bytes: file.bytes }, "collected a file of the run's Locust");
      return file;
    }),

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
    .mutation(async ({ ctx, input }): Promise<IngestAck> => {
      const run = await openRun(ctx, input.runId);
      checkTimestamp(ctx, run, input.timestamp);
      // Locust has evidently run even if its test-start never arrived.
      const status = await ctx.runs.markRunning(run, input.timestamp);
      // A stop that someone asked for ends as Stopped even if the duration ran out meanwhile.
      const to = status === "Stopping" && input.reason !== "error" ? "Stopped" : STATUS_BY_REASON[input.reason];
      const ended = await ctx.runs.end(
        run,
        to,
        to === "Failed" ? (input.message ?? "Locust reported an error") : null,
        LOCUST_ACTOR,
      );
      if (ended === undefined) {
        const current = await openRun(ctx, run.id);
        throw new AppError(
          "INVALID_TRANSITION",
          `run ${run.id} is ${current.status}; it cannot become ${to}`,
          "reason",
        );
      }
      // The run's own end, which may differ from the one asked (an auto-stopped run ends Failed).
      ctx.logger.info(
        { runId: run.id, status: ended.status, reason: input.reason, lastSeq: input.lastSeq },
        "Locust reported test stop",
      );
      return { ok: true, status: ended.status };
    }),
});
