import { z } from "zod";
import { scopeIdSchema } from "./fields.js";

export const ROLES = ["admin", "editor", "viewer"] as const;

/** Who the token is: its name, role, and the scope it is bound to (absent levels: any). */
export const identitySchema = z.object({
  name: z.string(),
  role: z.enum(ROLES),
  accountId: scopeIdSchema.optional().describe("the account the token is bound to; absent: any"),
  orgId: scopeIdSchema.optional(),
  projectId: scopeIdSchema.optional(),
});
export type Identity = z.infer<typeof identitySchema>;

/** One account/org/project/env that holds tests, with how many tests and runs it holds. */
export const scopeCountSchema = z.object({
  accountId: scopeIdSchema,
  orgId: scopeIdSchema,
  projectId: scopeIdSchema,
  envId: scopeIdSchema.nullable().describe("null: the project's tests without an env"),
  tests: z.number().int(),
  runs: z.number().int(),
});
export type ScopeCount = z.infer<typeof scopeCountSchema>;

export const scopesSchema = z.object({
  items: z
    .array(scopeCountSchema)
    .describe("every scope in the token's reach that holds a test, sorted by account, org, project, env"),
});
