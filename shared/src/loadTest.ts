import { z } from "zod";
import { pageInputShape } from "./paging.js";
import { autoStopInputSchema, autoStopSchema, DEFAULT_AUTO_STOP, recentRunSchema } from "./run.js";
import { MAX_THRESHOLDS } from "./judge.js";
import { MAX_RUN_WORKERS } from "./agents.js";
import { scriptContentSchema } from "./script.js";
import { scriptFilesInputSchema } from "./scriptFiles.js";
import { envVarsSchema, secretNamesSchema, stageSchema, stagesSchema } from "./params.js";
import { allowedHostsSchema } from "./network.js";
import { regressionRuleSchema, storedThresholdSchema, thresholdItemSchema } from "./thresholds.js";
import { DEFAULT_REGRESSION_RULE } from "./compare.js";
import {
  actorSchema,
  durationSchema,
  entityIdSchema,
  metadataInputSchema,
  metadataSchema,
  scopeIdSchema,
  spawnRateSchema,
  targetUrlSchema,
  timestampSchema,
  usersSchema,
} from "./fields.js";

export const loadTestSchema = z.object({
  id: entityIdSchema,
  name: z.string(),
  description: z.string(),
  tags: z.array(z.string()),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable(),
  locustClusterId: scopeIdSchema
    .nullable()
    .describe("retired (push-mode Locust clusters): null, except on tests saved before agent pools replaced them"),
  agentPool: entityIdSchema.nullable().describe("the agent pool its runs go to; null: the server's own host"),
  defaultWorkers: z
    .number()
    .int()
    .nullable()
    .describe("on a pool: Locust worker processes per run; null: the pool's free capacity"),
  targetUrl: z.string(),
  latestRevisionId: entityIdSchema,
  latestRevisionNumber: z.number().int(),
  scenarioId: z.string().nullable(),
  defaultUsers: z.number().int(),
  defaultSpawnRate: z.number(),
  defaultDurationSec: z.number().int(),
  maxDurationSec: z.number().int(),
  autoStop: autoStopSchema.nullable(),
  defaultStages: z
    .array(stageSchema)
    .nullable()
    .describe("the load shape of runs that name no users, duration or stages of their own; null: constant users"),
  env: z.record(z.string(), z.string()).describe("plain parameters its runs get as environment variables"),
  secrets: z.array(z.string()).describe("names of the secrets its runs get as environment variables"),
  allowedHosts: z
    .array(z.string())
    .describe("hosts its scripts may reach beside its target URL's host and port; its runs reach nothing else"),
  thresholds: z
    .array(storedThresholdSchema)
    .describe('judged on every run of the test unless the run names its own: "p95<300", "error_rate<1%"'),
  failOnRegression: z.boolean().describe("a run that regressed against its env's baseline fails its verdict"),
  regressionRule: regressionRuleSchema,
  recentRuns: z.array(recentRunSchema).describe("at most 10, newest first, one entry per run"),
  runCount: z.number().int().describe("how many runs it has had (its newest run's number)"),
  metadata: metadataSchema,
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
});
export type LoadTest = z.infer<typeof loadTestSchema>;

const tagsSchema = z.array(z.string().trim().min(1).max(64)).max(50);

/** Fields a user may set on a test, shared by create and update. */
const editableShape = {
  name: z.string().trim().min(1, "must not be empty").max(200),
  description: z.string().max(10_000),
  tags: tagsSchema,
  envId: scopeIdSchema.nullable(),
  locustClusterId: scopeIdSchema
    .nullable()
    .describe("retired: push-mode Locust clusters gave way to agent pools; only null is accepted"),
  agentPool: entityIdSchema.nullable(),
  defaultWorkers: z.number().int().min(1).max(MAX_RUN_WORKERS).nullable(),
  targetUrl: targetUrlSchema,
  scenarioId: z.string().max(128).nullable(),
  defaultUsers: usersSchema,
  defaultSpawnRate: spawnRateSchema,
  defaultDurationSec: durationSchema,
  maxDurationSec: durationSchema,
  thresholds: z.array(thresholdItemSchema).max(MAX_THRESHOLDS),
  failOnRegression: z.boolean(),
  regressionRule: regressionRuleSchema,
  autoStop: autoStopInputSchema.nullable(),
  defaultStages: stagesSchema.nullable(),
  env: envVarsSchema,
  secrets: secretNamesSchema,
  allowedHosts: allowedHostsSchema,
  metadata: metadataSchema,
};

/**
 * A default duration above the maximum is refused with the other fields' problems, not after them
 * (the check runs even when other fields failed, whenever both durations are numbers).
 */
function durationsInOrder(value: { defaultDurationSec?: number; maxDurationSec?: number }, ctx: z.RefinementCtx): void {
  const { defaultDurationSec, maxDurationSec } = value;
  if (defaultDurationSec !== undefined && maxDurationSec !== undefined && defaultDurationSec > maxDurationSec) {
    ctx.addIssue({
      code: "custom",
      path: ["defaultDurationSec"],
      message: `must be at most maxDurationSec (${maxDurationSec})`,
      params: { code: "DURATION_ABOVE_MAX" },
    });
  }
}

const bothDurations = (payload: { value: unknown }): boolean => {
  const value = payload.value as { defaultDurationSec?: unknown; maxDurationSec?: unknown } | null;
  return (
    typeof value === "object" &&
    value !== null &&
    Number.isInteger(value.defaultDurationSec) &&
    Number.isInteger(value.maxDurationSec)
  );
};

export const createLoadTestInputSchema = z
  .strictObject({
    name: editableShape.name,
    description: editableShape.description.default(""),
    tags: tagsSchema.default([]),
    accountId: scopeIdSchema,
    orgId: scopeIdSchema,
    projectId: scopeIdSchema,
    envId: editableShape.envId.optional(),
    locustClusterId: editableShape.locustClusterId.optional(),
    agentPool: editableShape.agentPool.optional().describe("an agent pool of the test's project: its runs go there"),
    defaultWorkers: editableShape.defaultWorkers.optional(),
    targetUrl: editableShape.targetUrl,
    scenarioId: editableShape.scenarioId.optional(),
    defaultUsers: usersSchema.default(10),
    defaultSpawnRate: spawnRateSchema.default(2),
    defaultDurationSec: durationSchema.default(60),
    maxDurationSec: durationSchema.default(3600),
    thresholds: editableShape.thresholds
      .default([])
      .describe("the test's default thresholds: every run is judged against them unless it names its own"),
    autoStop: editableShape.autoStop
      .default(DEFAULT_AUTO_STOP)
      .describe(
        "stop a run early as Failed when its errors over a window pass a limit (default: 90 % over 60 s); null: never",
      ),
    defaultStages: editableShape.defaultStages.default(null),
    failOnRegression: editableShape.failOnRegression
      .default(false)
      .describe("a run that regressed against its env's baseline fails its verdict"),
    regressionRule: editableShape.regressionRule.default(DEFAULT_REGRESSION_RULE),
    env: editableShape.env.default({}),
    secrets: editableShape.secrets
      .default([])
      .describe(
        "names of secrets of the test's scope (PUT /v1/secrets/{name}); its runs get them as environment variables",
      ),
    allowedHosts: editableShape.allowedHosts.default([]),
    metadata: metadataInputSchema.default({}),
    scriptContent: scriptContentSchema.describe("base64 of the locustfile; becomes revision 1"),
    files: scriptFilesInputSchema
      .default([])
      .describe("the other files of revision 1 (helpers, CSV data), placed beside the locustfile"),
    scriptDescription: z.string().max(1000).default("Initial revision"),
    createdBy: actorSchema.optional().describe("defaults to the token's name"),
  })
  .superRefine(durationsInOrder, { when: bothDurations });
export type CreateLoadTestInput = z.infer<typeof createLoadTestInputSchema>;

/** Partial update: the fields sent are changed, the rest stay. Scope ids and the script are not edited here. */
export const updateLoadTestInputSchema = z
  .strictObject({
    id: entityIdSchema,
    name: editableShape.name.optional(),
    description: editableShape.description.optional(),
    tags: tagsSchema.optional(),
    envId: editableShape.envId.optional(),
    locustClusterId: editableShape.locustClusterId.optional(),
    agentPool: editableShape.agentPool.optional(),
    defaultWorkers: editableShape.defaultWorkers.optional(),
    targetUrl: editableShape.targetUrl.optional(),
    scenarioId: editableShape.scenarioId.optional(),
    defaultUsers: usersSchema.optional(),
    defaultSpawnRate: spawnRateSchema.optional(),
    defaultDurationSec: durationSchema.optional(),
    maxDurationSec: durationSchema.optional(),
    thresholds: editableShape.thresholds.optional(),
    autoStop: editableShape.autoStop.optional(),
    defaultStages: editableShape.defaultStages.optional(),
    failOnRegression: editableShape.failOnRegression.optional(),
    regressionRule: editableShape.regressionRule.optional(),
    env: editableShape.env.optional(),
    secrets: editableShape.secrets.optional(),
    allowedHosts: editableShape.allowedHosts.optional(),
    metadata: metadataInputSchema.optional(),
    updatedBy: actorSchema.optional(),
  })
  .superRefine(durationsInOrder, { when: bothDurations });
export type UpdateLoadTestInput = z.infer<typeof updateLoadTestInputSchema>;

/** Query strings carry `tags=a,b` or `tags=a&tags=b`; both mean any of a, b. */
const tagFilterSchema = z.union([z.string().max(1000), z.array(z.string().max(64)).max(20)]).transform((v) =>
  (Array.isArray(v) ? v : [v])
    .flatMap((t) => t.split(","))
    .map((t) => t.trim())
    .filter(Boolean),
);

export const listLoadTestsInputSchema = z.strictObject({
  accountId: scopeIdSchema.optional(),
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
  envId: scopeIdSchema.optional(),
  tags: tagFilterSchema.optional().describe("any of these tags (comma-separated or repeated)"),
  ...pageInputShape,
});
export type ListLoadTestsInput = z.infer<typeof listLoadTestsInputSchema>;

export type LoadTestFilter = Pick<ListLoadTestsInput, "accountId" | "orgId" | "projectId" | "envId" | "tags">;
