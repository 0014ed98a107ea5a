import { RUN_OUTCOMES } from "./runOutcome.js";
import { runResultsSchema } from "./results.js";
import { z } from "zod";
import {
  actorSchema,
  durationSchema,
  entityIdSchema,
  metadataInputSchema,
  metadataSchema,
  runStatusSchema,
  scopeIdSchema,
  spawnRateSchema,
  targetUrlSchema,
  timestampSchema,
  usersSchema,
} from "./fields.js";
import { envVarsSchema, stageSchema, stagesSchema } from "./params.js";
import { pageInputShape } from "./paging.js";
import { MAX_THRESHOLDS } from "./judge.js";
import { runVerdictSchema, storedThresholdSchema, thresholdItemSchema } from "./thresholds.js";
import {
  labelsSchema,
  MAX_RUN_WORKERS,
  placementEntrySchema,
  regionShareSchema,
  runRegionsSchema,
  runWarningSchema,
} from "./agents.js";

/** The newest figures of a run, kept on the run so lists show them without reading the time series. */
export const runMetricsSummarySchema = z.object({
  timestamp: timestampSchema,
  seq: z.number().int(),
  users: z.number().int(),
  requestsPerSec: z.number(),
  failuresPerSec: z.number(),
  totalRequests: z.number().int(),
  totalFailures: z.number().int(),
  avgResponseMs: z.number().nullable().describe("null when the newest snapshot timed no request"),
});
export type RunMetricsSummary = z.infer<typeof runMetricsSummarySchema>;

const autoStopRate = z.number().gt(0).max(100).describe("stop when more than this share of requests fail…");
const autoStopWindow = z.number().int().min(10).max(3600);

/** When a run is stopped early as Failed: its error rate over a window above a limit (Azure's default: 90 % over 60 s). */
export const autoStopSchema = z
  .strictObject({
    errorRatePercent: autoStopRate,
    windowSec: autoStopWindow.describe("…over this many seconds"),
    windowSeconds: autoStopWindow.meta({ deprecated: true }).describe("deprecated: windowSec, the same value"),
  })
  .describe("null: never stopped early");
export type AutoStop = z.infer<typeof autoStopSchema>;

export const autoStopOf = (errorRatePercent: number, windowSec: number): AutoStop => ({
  errorRatePercent,
  windowSec,
  windowSeconds: windowSec,
});
export const DEFAULT_AUTO_STOP: AutoStop = autoStopOf(90, 60);

/** An autoStop as given: `windowSec`, or `windowSeconds` (its deprecated name, still accepted). */
export const autoStopInputSchema = z
  .strictObject({
    errorRatePercent: autoStopRate,
    windowSec: autoStopWindow.optional().describe("…over this many seconds"),
    windowSeconds: autoStopWindow
      .optional()
      .meta({ deprecated: true })
      .describe("deprecated: windowSec (accepted; give one)"),
  })
  .transform((given, ctx): AutoStop => {
    const { windowSec, windowSeconds } = given;
    if (windowSec !== undefined && windowSeconds !== undefined && windowSec !== windowSeconds) {
      ctx.addIssue({
        code: "custom",
        path: ["windowSec"],
        message: "windowSeconds is the deprecated name of windowSec; give one, or both the same",
      });
    }
    const window = windowSec ?? windowSeconds;
    if (window === undefined) {
      ctx.addIssue({ code: "custom", path: ["windowSec"], message: "is required" });
      return z.NEVER;
    }
    return autoStopOf(given.errorRatePercent, window);
  })
  .describe("null: never stopped early");

export const RUN_TRIGGERS = ["api", "cli", "dashboard", "ci", "webhook", "schedule"] as const;
export type RunTriggerType = (typeof RUN_TRIGGERS)[number];
/** What started a run: a schedule (which), or what its creator said it is (api when it said nothing). */
export const runTriggerSchema = z
  .object({
    type: z.enum(RUN_TRIGGERS),
    scheduleId: z.string().nullable().describe("the schedule that created it; null: not a schedule"),
  })
  .describe("what started the run");
export type RunTrigger = z.infer<typeof runTriggerSchema>;

/** The whole run's figures, taken once when it ended: what lists show without reading its time series. */
export const runOutcomeSchema = z
  .enum(RUN_OUTCOMES)
  .describe(
    "the one judgement of an ended run, the same everywhere: aborted (a threshold stopped it), no-success (no successful request, or at least 90 % failed), failed (the run failed, or a threshold broke), regressed (worse than its baseline), passed",
  );

/** A change of a running run's load, asked while it ran (Locust's own UI does the same). */
export const loadChangeSchema = z.object({
  at: timestampSchema.describe("when it was asked"),
  targetUsers: z.number().int(),
  spawnRate: z.number(),
  by: z.string(),
});
export type LoadChange = z.infer<typeof loadChangeSchema>;

export const setRunLoadInputSchema = z.strictObject({
  id: entityIdSchema.describe("run id"),
  targetUsers: usersSchema.describe("the users to run from now on"),
  spawnRate: spawnRateSchema
    .optional()
    .describe("users started (or stopped) per second to get there; default: the run's"),
  updatedBy: actorSchema.optional(),
});

export const loadTestRunSchema = z.object({
  id: entityIdSchema,
  loadTestId: entityIdSchema,
  number: z.number().int().describe("the run's number within its test: 1, 2, 3…"),
  name: z.string().describe('defaults to "#<number> · <created, UTC>", e.g. "#12 · 2 Dec 05:38"'),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable(),
  scriptRevisionId: entityIdSchema,
  locustClusterId: scopeIdSchema
    .nullable()
    .describe("retired: the push-mode cluster of a run made before agent pools replaced them; null otherwise"),
  agentPool: entityIdSchema
    .nullable()
    .describe("the agent pool it runs on; null: the servers' own hosts (the local pool)"),
  workers: z
    .number()
    .int()
    .nullable()
    .describe("Locust worker processes across the pool's agents (set when placed); null: not on a pool"),
  minWorkers: z
    .number()
    .int()
    .nullable()
    .describe("the run fails when fewer worker processes than this remain; null: it goes on with any"),
  labels: labelsSchema.describe("only agents with all of these labels take part"),
  regions: z
    .array(regionShareSchema)
    .describe("its workers split over agents labelled region=<name>, by share; []: one region, the whole pool"),
  placement: z.array(placementEntrySchema).describe("where its Locust processes run: one master, the workers"),
  masterEndpoint: z.string().nullable().describe("host:port where its workers reach the master"),
  waitingReason: z
    .string()
    .nullable()
    .describe('why a Pending run has not started yet, e.g. "waiting for 6 worker slots in pool eu"'),
  warnings: z.array(runWarningSchema).describe("what went wrong without ending the run (a lost agent)"),
  targetUrl: z.string().describe("the host Locust loaded (the test's, unless the run named its own)"),
  tags: z.array(z.string()).describe("the test's tags, unless the run named its own"),
  env: z
    .record(z.string(), z.string())
    .describe("the plain parameters it ran with: the test's env and the run's overrides"),
  secrets: z.array(z.string()).describe("names of the secrets it got as environment variables (never their values)"),
  targetUsers: z.number().int().describe("with stages: the most users any stage asks for"),
  spawnRate: z.number(),
  durationSec: z.number().int().describe("how long it runs: its own, the test's default, or its stages' total"),
  durationSeconds: z.number().int().meta({ deprecated: true }).describe("deprecated: durationSec, the same value"),
  stages: z.array(stageSchema).nullable().describe("the load shape it ran; null: targetUsers for durationSec"),
  shapeNote: z
    .string()
    .nullable()
    .describe("set when the locustfile has a LoadTestShape class and the run has stages: which one drives the load"),
  status: runStatusSchema,
  launchedAt: timestampSchema
    .nullable()
    .describe(
      "when the runner launched Locust; the run stays Pending (starting Locust) until Locust reports its test start",
    ),
  startedAt: timestampSchema
    .nullable()
    .describe("when Locust started the load (its test start): the run turned Running"),
  finishedAt: timestampSchema.nullable(),
  failureReason: z.string().nullable(),
  lastMetrics: runMetricsSummarySchema.nullable(),
  thresholds: z
    .array(storedThresholdSchema)
    .describe(
      'pass/fail criteria, k6-style: "p95<300", "error_rate<1%", "GET /api:p99<500", or {threshold, abortOnFail, windowSec, delayAbortEvalSec}',
    ),
  verdict: runVerdictSchema
    .nullable()
    .describe(
      "each threshold with its measured value, and the baseline comparison, judged when the run ended; null: neither thresholds nor a baseline, or not ended",
    ),
  baseline: z.boolean().describe("it is its test's baseline in its env: later runs there are compared with it"),
  trigger: runTriggerSchema,
  autoStop: autoStopSchema.nullable().describe("the auto-stop rule it ran under (its test's, unless it named its own)"),
  results: runResultsSchema.nullable().describe("the whole run's figures, taken when it ended; null until then"),
  outcome: runOutcomeSchema.nullable().describe("decided when it ended (see RunOutcome); null until then"),
  loadChanges: z
    .array(loadChangeSchema)
    .describe(
      "its load changed while it ran (POST /v1/runs/{id}/load), oldest first; targetUsers is what it started with",
    ),
  metadata: metadataSchema,
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
});
export type LoadTestRun = z.infer<typeof loadTestRunSchema>;

export const recentRunSchema = loadTestRunSchema
  .pick({
    id: true,
    number: true,
    name: true,
    status: true,
    scriptRevisionId: true,
    targetUsers: true,
    spawnRate: true,
    durationSec: true,
    durationSeconds: true,
    startedAt: true,
    finishedAt: true,
    createdAt: true,
    createdBy: true,
    results: true,
    outcome: true,
  })
  .extend({
    passed: z.boolean().nullable().describe("whether every threshold held; null: no thresholds, or not ended"),
  });
export type RecentRun = z.infer<typeof recentRunSchema>;

export const MAX_RECENT_RUNS = 10;

export const createRunInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  name: z.string().trim().min(1, "must not be empty").max(200).optional(),
  targetUsers: usersSchema.optional().describe("defaults to the test's defaultUsers"),
  spawnRate: spawnRateSchema.optional().describe("defaults to the test's defaultSpawnRate"),
  durationSec: durationSchema.optional().describe("defaults to the test's defaultDurationSec; at most maxDurationSec"),
  durationSeconds: durationSchema
    .optional()
    .meta({ deprecated: true })
    .describe("deprecated: durationSec (accepted; give one, or both the same)"),
  thresholds: z
    .array(thresholdItemSchema)
    .max(MAX_THRESHOLDS)
    .optional()
    .describe(
      "judged against the run's results when it ends; defaults to the test's thresholds ([] runs without). An item {threshold, abortOnFail: true, windowSec, delayAbortEvalSec} also stops the run as soon as a snapshot breaks it",
    ),
  autoStop: autoStopInputSchema
    .nullable()
    .optional()
    .describe("defaults to the test's autoStop; null: never stop early"),
  workers: z
    .number()
    .int()
    .min(1)
    .max(MAX_RUN_WORKERS)
    .optional()
    .describe(
      "on a pool: Locust worker processes; defaults to the test's defaultWorkers, else the pool's free capacity (at most agents.maxWorkersPerRun)",
    ),
  minWorkers: z
    .number()
    .int()
    .min(1)
    .max(MAX_RUN_WORKERS)
    .optional()
    .describe("on a pool: fail the run when fewer worker processes remain"),
  labels: labelsSchema.optional().describe("on a pool: only agents with all of these labels"),
  regions: runRegionsSchema
    .optional()
    .describe(
      "on a pool: split the workers over agents labelled region=<name> by share (percent, adding up to 100), e.g. [{name: eu, share: 60}, {name: us, share: 40}]; each region's figures are kept beside the whole run's",
    ),
  stages: stagesSchema
    .optional()
    .describe(
      "ramp, hold, spike, ramp down: instead of targetUsers/spawnRate/durationSec; defaults to the test's defaultStages when none of those is given",
    ),
  targetUrl: targetUrlSchema.optional().describe("defaults to the test's; must pass the project's target allow-list"),
  envId: scopeIdSchema.optional().describe("defaults to the test's env"),
  tags: z.array(z.string().trim().min(1).max(64)).max(50).optional().describe("defaults to the test's tags"),
  env: envVarsSchema
    .optional()
    .describe("plain parameters merged over the test's env (a name set to the empty string is kept, as empty)"),
  trigger: z
    .enum(["api", "cli", "dashboard", "ci", "webhook"])
    .optional()
    .describe("what starts the run, recorded on it (defaults to api); schedules record their own"),
  metadata: metadataInputSchema.default({}),
  createdBy: actorSchema.optional().describe("defaults to the token's name"),
});
export type CreateRunInput = z.infer<typeof createRunInputSchema>;

const runFilterShape = {
  accountId: scopeIdSchema.optional(),
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
  envId: scopeIdSchema.optional(),
  status: runStatusSchema.optional(),
  outcome: runOutcomeSchema.optional().describe("only ended runs with this outcome"),
};

export const listRunsInputSchema = z.strictObject({
  loadTestId: entityIdSchema.optional(),
  ...runFilterShape,
  tag: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .optional()
    .describe("only runs with this tag (a run has its test's tags, unless it named its own)"),
  createdFrom: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .describe("only runs created at or after this time (ms since the epoch)"),
  ...pageInputShape,
});

export const listTestRunsInputSchema = z.strictObject({
  id: entityIdSchema.describe("load test id"),
  status: runStatusSchema.optional(),
  ...pageInputShape,
});

/** What stores filter runs by. */
export type RunFilter = Pick<
  z.infer<typeof listRunsInputSchema>,
  keyof typeof runFilterShape | "loadTestId" | "createdFrom" | "tag"
>;

const pad = (n: number) => String(n).padStart(2, "0");
const MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

/** A run's name when none is given: "#12 · 2 Dec 05:38" (UTC, the same for every reader). */
export function defaultRunName(number: number, createdAt: number): string {
  const d = new Date(createdAt);
  return `#${number} · ${d.getUTCDate()} ${MONTHS[d.getUTCMonth()] ?? ""} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

export const stopRunInputSchema = z.strictObject({
  id: entityIdSchema.describe("run id"),
  updatedBy: actorSchema.optional(),
});
