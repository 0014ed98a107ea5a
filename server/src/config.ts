import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { scopeIdSchema } from "@loadmgr/shared";

const tokenSchema = z.string().min(16, "tokens must be at least 16 characters");

const scopedTokenSchema = z.strictObject({
  name: z.string().min(1),
  token: tokenSchema,
  role: z.enum(["viewer", "editor"]),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
});

const targetAllowListSchema = z.strictObject({
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  hosts: z.array(z.string().min(1)).min(1).describe("host names; '*.example.com' matches subdomains"),
});

export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().default("127.0.0.1"),
      port: z.coerce.number().int().min(0).max(65535).default(8080),
      maxBodyBytes: z
        .number()
        .int()
        .positive()
        .default(16 * 1024 * 1024)
        .describe("a request body over this is refused with 413: room for a revision's 10 MiB of files in base64"),
      readWorker: z
        .enum(["on", "off"])
        .default("on")
        .describe("on: heavy reads run in a worker thread with its own store connection; off: on the server's thread"),
      metricsToken: z
        .string()
        .min(16)
        .optional()
        .describe(
          "when set, GET /metrics (Prometheus) requires Authorization: Bearer <it>; unset: open, like /healthz",
        ),
      publicUrl: z
        .url({ protocol: /^https?$/ })
        .optional()
        .describe("the URL Locust pushes metrics to; defaults to http://<host>:<port>"),
      limits: z
        .strictObject({
          heavyQueriesPerToken: z.number().int().min(1).default(2),
          subscriptionsPerToken: z.number().int().min(1).default(500),
          subscriptionsPerConnection: z.number().int().min(1).default(100),
          maxBatchSize: z.number().int().min(1).default(50),
        })
        .prefault({})
        .describe("what one client may hold at once; over a limit is a 429 (or 400 for a batch) with a stable code"),
    })
    .prefault({}),
  storage: z
    .strictObject({
      dataDir: z.string().default("./data"),
      sqlitePath: z.string().optional().describe("defaults to <dataDir>/loadmgr.sqlite"),
    })
    .prefault({}),
  mongodb: z
    .strictObject({
      uri: z.string().optional(),
      database: z.string().default("loadmgr"),
    })
    .prefault({}),
  redis: z.strictObject({ url: z.string().optional() }).prefault({}),
  security: z
    .strictObject({
      apiToken: tokenSchema.optional(),
      locustCallbackToken: tokenSchema.optional(),
      runTokenSecret: tokenSchema
        .optional()
        .describe("signs per-run ingest tokens; defaults to a secret kept in the data directory"),
      secretsKey: tokenSchema
        .optional()
        .describe("encrypts secrets at rest; defaults to a key kept in the data directory (secrets-key)"),
      tokens: z.array(scopedTokenSchema).default([]),
      targetAllowLists: z.array(targetAllowListSchema).default([]),
    })
    .prefault({}),
  locustClusters: z
    .array(z.unknown())
    .max(0, {
      message:
        "push-mode Locust clusters are retired: create an agent pool (POST /v1/agent-pools, `loadmgr pools create`) and start `loadmgr-locust agent --server URL --token TOKEN` on each host; it dials out to the server, and the README's 'Generators on other hosts' says how",
    })
    .default([])
    .describe("retired: must be empty (agent pools replace push-mode clusters)"),
  agents: z
    .strictObject({
      silenceSec: z.coerce
        .number()
        .min(2)
        .max(600)
        .optional()
        .describe("an agent not heard from for this long is disconnected; default: 3 metrics intervals + 10 s"),
      queueTimeoutSec: z.coerce
        .number()
        .int()
        .min(1)
        .default(600)
        .describe("a pool run that has waited this long for free capacity fails"),
      maxClockSkewSec: z.coerce
        .number()
        .min(0.5)
        .max(60)
        .default(5)
        .describe(
          "an agent whose clock is further than this from the server's is refused until it is in step (its seconds and silences would be off)",
        ),
      relayUrl: z
        .url()
        .optional()
        .describe(
          "where agents open the worker relay (for runs whose master's agent takes no inbound connection); default: the URL each agent calls. With several server processes, one process (see the README: Hosts that take no inbound connection)",
        ),
      maxWorkersPerRun: z.coerce
        .number()
        .int()
        .min(1)
        .max(1000)
        .default(100)
        .describe("the most worker processes a pool run gets when it does not say how many"),
    })
    .prefault({}),
  runner: z
    .strictObject({
      local: z
        .strictObject({
          command: z
            .string()
            .optional()
            .describe(
              "the loadmgr-locust command this server's own agent runs; defaults to .venv/locust/bin/loadmgr-locust",
            ),
          workers: z.coerce
            .number()
            .int()
            .min(0)
            .max(1000)
            .optional()
            .describe(
              "worker processes of a run on this server's host; defaults to the number of cores (0 or 1: one Locust process)",
            ),
          capacity: z.coerce
            .number()
            .int()
            .min(1)
            .max(1000)
            .default(64)
            .describe("Locust processes this server's host runs at once; more runs wait for room, visibly"),
          runsDir: z.string().optional().describe("defaults to <dataDir>/runs"),
          keepRunsHours: z.coerce
            .number()
            .min(0)
            .max(8760)
            .default(0)
            .describe(
              "how long a run's directory on this host (its script, spec, log, Locust's CSVs) is kept once the server has collected its files; 0: removed then",
            ),
        })
        .prefault({}),
      sandbox: z
        .enum(["on", "off"])
        .default("on")
        .describe(
          "on: every run's Locust processes run in a bubblewrap sandbox; off: every editor is trusted as the server's OS user",
        ),
      limits: z
        .strictObject({
          processes: z.coerce.number().int().min(8).max(100_000).default(512),
          memoryMb: z.coerce.number().int().min(64).default(2048),
          openFiles: z.coerce.number().int().min(64).max(1_048_576).default(10_000),
          diskMb: z.coerce
            .number()
            .int()
            .min(1)
            .default(1024)
            .describe("the run's files; its private /tmp and /dev/shm have this size each"),
          cpu: z.coerce
            .number()
            .min(0.1)
            .max(1024)
            .optional()
            .describe("cores the run's processes may use together (a cgroup CPU quota); default: no quota"),
        })
        .prefault({})
        .describe("per run: a run that reaches one of these ends as Failed, saying which"),
      metricsIntervalSec: z.coerce.number().min(0.2).max(60).default(2),
      guardGraceSec: z.coerce.number().min(1).default(30),
      stopTimeoutSec: z.coerce.number().min(1).default(30),
      startTimeoutSec: z.coerce
        .number()
        .min(1)
        .default(60)
        .describe("how long Locust may take from its start to its first snapshot before the run fails as silent"),
    })
    .prefault({}),
  webhooks: z
    .strictObject({
      allowPrivateTargets: z
        .preprocess((v) => (v === "true" ? true : v === "false" ? false : v), z.boolean())
        .default(false)
        .describe(
          "deliver to loopback, link-local and private addresses too (off: a webhook cannot reach into the server's network)",
        ),
      timeoutSec: z.coerce.number().min(1).max(60).default(10).describe("one attempt gives up after this long"),
      retryBaseSec: z.coerce
        .number()
        .min(0.05)
        .max(3600)
        .default(5)
        .describe("a failed attempt is tried again after this, ×4 each time: 5 s, 20 s, 80 s, 320 s by default"),
    })
    .prefault({}),
  schedules: z
    .strictObject({
      minIntervalSec: z.coerce
        .number()
        .int()
        .min(1)
        .max(86_400)
        .default(60)
        .describe("the least time between two ticks of a schedule's cron (a 6-field cron has seconds)"),
      lateTickSec: z.coerce
        .number()
        .min(1)
        .default(60)
        .describe("a tick this late (the server was down at its time) is skipped as missed, not run late"),
    })
    .prefault({}),
  log: z.strictObject({ level: z.enum(["debug", "info", "warn", "error", "silent"]).default("info") }).prefault({}),
});
export type Config = z.infer<typeof configSchema>;

export class ConfigError extends Error {
  override name = "ConfigError";
}

/** Environment variables and the config keys they set. */
const ENV_KEYS: Record<string, string[]> = {
  HOST: ["server", "host"],
  PORT: ["server", "port"],
  LOADMGR_DATA_DIR: ["storage", "dataDir"],
  LOADMGR_SQLITE_PATH: ["storage", "sqlitePath"],
  MONGODB_URI: ["mongodb", "uri"],
  MONGODB_DATABASE: ["mongodb", "database"],
  REDIS_URL: ["redis", "url"],
  LOADMGR_API_TOKEN: ["security", "apiToken"],
  LOADMGR_LOCUST_CALLBACK_TOKEN: ["security", "locustCallbackToken"],
  LOADMGR_RUN_TOKEN_SECRET: ["security", "runTokenSecret"],
  LOADMGR_SECRETS_KEY: ["security", "secretsKey"],
  LOADMGR_PUBLIC_URL: ["server", "publicUrl"],
  LOADMGR_LOCAL_WORKERS: ["runner", "local", "workers"],
  LOADMGR_SANDBOX: ["runner", "sandbox"],
  LOADMGR_AGENT_SILENCE_SEC: ["agents", "silenceSec"],
  LOADMGR_AGENT_QUEUE_TIMEOUT_SEC: ["agents", "queueTimeoutSec"],
  LOADMGR_READ_WORKER: ["server", "readWorker"],
  LOADMGR_METRICS_TOKEN: ["server", "metricsToken"],
  LOADMGR_WEBHOOKS_ALLOW_PRIVATE: ["webhooks", "allowPrivateTargets"],
  LOG_LEVEL: ["log", "level"],
};

/** A YAML key left empty (`redis:` with every child commented out) is null: it means "not set". */
function withoutNulls(mapping: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(mapping)) {
    if (value === null) continue;
    out[key] =
      typeof value === "object" && !Array.isArray(value) ? withoutNulls(value as Record<string, unknown>) : value;
  }
  return out;
}

function setPath(target: Record<string, unknown>, path: string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const child = node[key];
    if (typeof child !== "object" || child === null) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path.at(-1);
  if (last !== undefined) node[last] = value;
}

/**
 * Reads the YAML file (when there is one), overlays the environment, and validates the result.
 * Throws ConfigError naming the offending key.
 */
export function loadConfig(options: { file?: string; env?: NodeJS.ProcessEnv } = {}): Config {
  const env = options.env ?? process.env;
  const file = options.file ?? (existsSync("config/config.yaml") ? "config/config.yaml" : undefined);
  let raw: Record<string, unknown> = {};
  if (file !== undefined) {
    const path = resolve(file);
    if (!existsSync(path)) throw new ConfigError(`config file ${path} does not exist`);
    const parsed: unknown = parseYaml(readFileSync(path, "utf-8"));
    if (parsed !== null && parsed !== undefined) {
      if (typeof parsed !== "object" || Array.isArray(parsed)) throw new ConfigError(`${path}: expected a mapping`);
      raw = withoutNulls(parsed as Record<string, unknown>);
    }
  }
  for (const [name, path] of Object.entries(ENV_KEYS)) {
    const value = env[name];
    if (value !== undefined && value !== "") setPath(raw, path, value);
  }
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0];
    const key = issue?.path.join(".") || "(root)";
    throw new ConfigError(`invalid config: ${key}: ${issue?.message ?? "invalid"}`);
  }
  return result.data;
}
