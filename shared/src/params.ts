import { z } from "zod";
import { actorSchema, durationSchema, scopeIdSchema, spawnRateSchema, timestampSchema } from "./fields.js";

/** A run's load over time, k6-style: each stage holds `users` (reached at `spawnRate` users/s) for `durationSec`. */
export const stageSchema = z.strictObject({
  durationSec: durationSchema,
  users: z.number().int().min(0).max(1_000_000).describe("the user count to reach and hold (0: all stop)"),
  spawnRate: spawnRateSchema.describe("users started (or stopped) per second on the way there"),
});
export type Stage = z.infer<typeof stageSchema>;

export const MAX_STAGES = 50;

export const stagesSchema = z
  .array(stageSchema)
  .min(1, "at least one stage")
  .max(MAX_STAGES)
  .superRefine((stages, ctx) => {
    if (!stages.some((s) => s.users > 0)) {
      ctx.addIssue({
        code: "custom",
        message: "at least one stage must have users",
        params: { code: "INVALID_INPUT" },
      });
    }
  })
  // The rule above, as JSON Schema says it (so the published document states it too).
  .meta({ contains: { type: "object", properties: { users: { type: "integer", minimum: 1 } }, required: ["users"] } });

/** Environment variable names a test may set or bring a secret in as: Locust's and ours are kept apart. */
export const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;
const RESERVED_ENV = /^(LOADMGR_|LOCUST_|PYTHON|LD_)|^(PATH|HOME|LANG|TZ|HOSTNAME)$/;
/** Both rules as one pattern, for the OpenAPI document (the checks above give the messages). */
const ENV_NAME_PATTERN =
  "^(?!(?:LOADMGR_|LOCUST_|PYTHON|LD_))(?!(?:PATH|HOME|LANG|TZ|HOSTNAME)$)[A-Za-z_][A-Za-z0-9_]{0,127}$";

export function envNameProblem(name: string): string | null {
  if (!ENV_NAME.test(name)) return "must be letters, digits and _ (not starting with a digit), at most 128 characters";
  if (RESERVED_ENV.test(name))
    return "is reserved (LOADMGR_*, LOCUST_*, PYTHON*, LD_*, PATH, HOME, LANG, TZ, HOSTNAME)";
  return null;
}

export const envNameSchema = z
  .string()
  .superRefine((name, ctx) => {
    const problem = envNameProblem(name);
    if (problem !== null) ctx.addIssue({ code: "custom", message: problem, params: { code: "INVALID_ENV_NAME" } });
  })
  .meta({ pattern: ENV_NAME_PATTERN });

export const MAX_ENV_VARS = 100;
export const MAX_ENV_VALUE_CHARS = 4096;

/** Plain parameters for the script, as environment variables (visible to anyone who may read the test). */
export const envVarsSchema = z.record(z.string(), z.string().max(MAX_ENV_VALUE_CHARS)).superRefine((vars, ctx) => {
  const names = Object.keys(vars);
  if (names.length > MAX_ENV_VARS) {
    ctx.addIssue({ code: "custom", message: `at most ${MAX_ENV_VARS} variables` });
  }
  for (const name of names) {
    const problem = envNameProblem(name);
    if (problem !== null) {
      ctx.addIssue({ code: "custom", path: [name], message: problem, params: { code: "INVALID_ENV_NAME" } });
    }
    if ((vars[name] ?? "").includes("\u0000")) {
      ctx.addIssue({ code: "custom", path: [name], message: "must not hold a NUL character" });
    }
  }
});
export type EnvVars = z.infer<typeof envVarsSchema>;

export const MAX_TEST_SECRETS = 50;

/** The names of the secrets a test's runs get as environment variables. */
export const secretNamesSchema = z
  .array(envNameSchema)
  .max(MAX_TEST_SECRETS)
  .refine((names) => new Set(names).size === names.length, "a secret is named twice");

export const MIN_SECRET_CHARS = 4;
export const MAX_SECRET_CHARS = 16_384;

/** A secret as every reader sees it: never its value. */
export const secretSchema = z.object({
  name: z.string(),
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable().describe("null: every env of the project (an env's own secret of the name wins)"),
  createdAt: timestampSchema,
  createdBy: z.string(),
  updatedAt: timestampSchema,
  updatedBy: z.string(),
});
export type Secret = z.infer<typeof secretSchema>;

const secretScopeShape = {
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.optional().describe("omit: the project's, for every env"),
};

export const putSecretInputSchema = z.strictObject({
  name: envNameSchema.describe("the environment variable runs get it as"),
  value: z
    .string()
    .min(MIN_SECRET_CHARS, `must be at least ${MIN_SECRET_CHARS} characters (shorter values cannot be redacted)`)
    .max(MAX_SECRET_CHARS)
    .refine((v) => !v.includes("\u0000"), "must not hold a NUL character")
    .meta({ pattern: "^[^\\u0000]*$" }),
  ...secretScopeShape,
  updatedBy: actorSchema.optional(),
});
export type PutSecretInput = z.infer<typeof putSecretInputSchema>;

export const secretRefInputSchema = z.strictObject({ name: envNameSchema, ...secretScopeShape });
export type SecretRefInput = z.infer<typeof secretRefInputSchema>;

export const listSecretsInputSchema = z.strictObject({
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.optional().describe("omit: every secret of the project, each env's too"),
});
