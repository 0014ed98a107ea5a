import { z } from "zod";
import { actorSchema, entityIdSchema, scopeIdSchema, timestampSchema } from "./fields.js";

/** Labels an agent carries and a run may ask for: `region=eu`, `size=large`. */
export const labelsSchema = z
  .record(
    z
      .string()
      .min(1)
      .max(63)
      .regex(/^[A-Za-z0-9._-]+$/, "a label key has letters, digits and . _ - only"),
    z.string().max(63),
  )
  .refine((labels) => Object.keys(labels).length <= 20, "at most 20 labels");
export type Labels = z.infer<typeof labelsSchema>;

/** The agent label a run's regions select on: an agent labelled `region=eu` takes part in region eu. */
export const REGION_LABEL = "region";
/** The most regions one run may split its users over. */
export const MAX_RUN_REGIONS = 10;

export const regionNameSchema = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[A-Za-z0-9._-]+$/, "a region name has letters, digits and . _ - only");

/** A region of a run: the agents labelled `region=<name>` run `share` percent of its workers (and so of its users). */
export const regionShareSchema = z.strictObject({
  name: regionNameSchema.describe("agents labelled region=<name> take part"),
  share: z.number().int().min(1).max(100).describe("percent of the run's workers (and so of its users)"),
});
export type RegionShare = z.infer<typeof regionShareSchema>;

/** A run's regions as asked for: distinct names whose shares add up to 100. */
export const runRegionsSchema = z
  .array(regionShareSchema)
  .max(MAX_RUN_REGIONS)
  .superRefine((regions, ctx) => {
    if (regions.length === 0) return;
    const names = new Set(regions.map((r) => r.name));
    if (names.size !== regions.length) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: "each region is named once" });
    }
    const total = regions.reduce((sum, r) => sum + r.share, 0);
    if (total !== 100) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `the shares add up to ${total}, not 100` });
    }
  });

/**
 * The pool of the servers' own hosts: each server process that runs jobs starts an agent on its
 * host (`loadmgr-locust agent`, the same as on any other host), and a test with no agentPool runs here.
 */
export const LOCAL_POOL_ID = "local";

/**
 * How long an agent lets the server hold its call by default (its heartbeat; the agent's WAIT_MS,
 * `--wait-sec`), whether it runs something or not: what the server has for it answers the held call
 * at once, and what it has to say goes in a new call at once. The server counts an agent heard until
 * its call's wait is over, and silent from then on.
 */
export const AGENT_WAIT_MS = 25_000;

/** The most Locust worker processes one run may ask for. */
export const MAX_RUN_WORKERS = 1000;

/** What an agent reports of one run's processes on its host. */
export const agentRunReportSchema = z.object({
  runId: entityIdSchema,
  role: z.enum(["master", "worker"]),
  processes: z.number().int().min(0).max(MAX_RUN_WORKERS),
  state: z.enum(["running", "exited"]),
  stopRequested: z.boolean().optional().describe("the agent has asked these processes to stop"),
  /** The master's worker port once it is listening (the master's agent reports it). */
  masterPort: z.number().int().min(1).max(65535).optional(),
  exitCode: z.number().int().nullable().optional(),
  signal: z.string().max(32).nullable().optional(),
  logTail: z.string().max(8000).optional(),
  limit: z.string().max(500).optional(),
  endedWithAgent: z
    .string()
    .max(500)
    .optional()
    .describe("kept by the server: the agent process that ran these ended, and they with it (never handed out again)"),
});
export type AgentRunReport = z.infer<typeof agentRunReportSchema>;

export const agentSchema = z.object({
  id: entityIdSchema,
  poolId: entityIdSchema,
  name: z.string(),
  connected: z.boolean().describe("it has called in within the silence window"),
  capacity: z.number().int().describe("Locust processes it may run at once (a run's master takes one)"),
  labels: labelsSchema,
  version: z.string(),
  address: z.string().describe("where the pool's other agents reach it (a run's workers connect to its master here)"),
  inbound: z
    .boolean()
    .describe(
      "false: it takes no connection from other hosts (started with --no-inbound), so the workers of a run whose master it holds reach that master through the server's relay",
    ),
  connectedAt: timestampSchema.describe("when its current connection began"),
  lastSeenAt: timestampSchema,
  running: z
    .array(z.object({ runId: entityIdSchema, role: z.enum(["master", "worker"]), processes: z.number().int() }))
    .describe("the runs it holds processes of"),
});
export type Agent = z.infer<typeof agentSchema>;

export const agentPoolSchema = z.object({
  id: entityIdSchema,
  name: z.string(),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable(),
  tokenState: z
    .enum(["active", "revoked"])
    .describe("revoked: no agent may join or stay connected until the token is rotated"),
  tokenRotatedAt: timestampSchema,
  agents: z.array(agentSchema),
  createdAt: timestampSchema,
  createdBy: z.string(),
});
export type AgentPool = z.infer<typeof agentPoolSchema>;

export const createAgentPoolInputSchema = z.strictObject({
  name: z.string().trim().min(1, "must not be empty").max(100),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.optional(),
  createdBy: actorSchema.optional(),
});

/** A pool as created or with a new token: the enrollment token is in this answer only. */
export const agentPoolWithTokenSchema = agentPoolSchema.extend({
  token: z.string().describe("the enrollment token: shown this once, stored hashed"),
});

/** One Locust role of a run placed on an agent. */
export const placementEntrySchema = z.object({
  agentId: entityIdSchema,
  agentName: z.string(),
  role: z.enum(["master", "worker"]),
  processes: z.number().int().describe("Locust processes: 1 for the master, its worker count for a worker entry"),
  region: regionNameSchema.optional().describe("the region of the run this agent's processes count in"),
  lostAt: timestampSchema
    .nullable()
    .describe("when the server saw this agent's processes of the run go (the run went on without them)"),
});
export type PlacementEntry = z.infer<typeof placementEntrySchema>;

export const runWarningSchema = z.object({ at: timestampSchema, message: z.string() });
export type RunWarning = z.infer<typeof runWarningSchema>;

/**
 * What the server hands an agent for a run: start these processes (the spec comes once, when the
 * agent does not hold the run yet), stop them gracefully (`stop`), or nothing new. A run the agent
 * holds that is not in the answer is to be killed.
 */
export const agentAssignmentSchema = z.object({
  runId: entityIdSchema,
  role: z.enum(["master", "worker"]),
  processes: z.number().int(),
  stop: z.boolean(),
  spec: z.record(z.string(), z.unknown()).optional(),
});
export type AgentAssignment = z.infer<typeof agentAssignmentSchema>;

export const agentSyncInputSchema = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(100)
    .regex(/^[A-Za-z0-9._-]+$/, "an agent name has letters, digits and . _ - only"),
  instanceId: z.string().min(8).max(64).describe("random per agent process: two processes may not share a name"),
  previousInstanceId: z
    .string()
    .min(8)
    .max(64)
    .optional()
    .describe("the agent process this one follows on the same directory: it has ended, and what it ran with it"),
  capacity: z.number().int().min(1).max(MAX_RUN_WORKERS),
  labels: labelsSchema.default({}),
  version: z.string().max(64),
  address: z.string().min(1).max(255).describe("the host or IP the pool's other agents reach this one at"),
  inbound: z
    .boolean()
    .default(true)
    .describe("false: no other host can connect to this one; its runs' remote workers come through the server's relay"),
  runs: z.array(agentRunReportSchema).max(MAX_RUN_WORKERS),
  waitMs: z.number().int().min(0).max(30_000).default(5000).describe("how long the server may hold the answer"),
  sentAt: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe("the agent's clock when it sent the call (unix ms): one far from the server's is refused"),
});
export type AgentSyncInput = z.infer<typeof agentSyncInputSchema>;

export const agentSyncOutputSchema = z.object({
  agentId: entityIdSchema,
  assignments: z.array(agentAssignmentSchema),
});
export type AgentSyncOutput = z.infer<typeof agentSyncOutputSchema>;

/** The agent's wheel as the server serves it: what a host installs to join a pool (agentInstall.ts). */
export const agentPackageSchema = z.object({
  fileName: z.string().describe("the wheel's file name (loadmgr_locust-<version>-py3-none-any.whl)"),
  version: z.string(),
  sha256: z.string().describe("hex digest of the wheel; pip checks it from the URL's #sha256= fragment"),
  bytes: z.number().int(),
  path: z.string().describe("where this server serves it, from its root: /agent/<fileName> (no token needed)"),
});
export type AgentPackage = z.infer<typeof agentPackageSchema>;
