import { z } from "zod";
import { RUN_STATUSES } from "./runStatus.js";
import { SCOPE_ID_MAX, SCOPE_ID_PATTERN, SCOPE_ID_RULE } from "./scopeId.js";

/** Unix milliseconds, an integer, everywhere. */
export const timestampSchema = z.number().int().nonnegative();

/** Account, org, project, env and cluster ids: short, printable, no spaces. */
export const scopeIdSchema = z
  .string()
  .min(1, "must not be empty")
  .max(SCOPE_ID_MAX)
  .regex(SCOPE_ID_PATTERN, SCOPE_ID_RULE);

/** Load test, revision and run ids: the server makes UUIDs; characters that a URL path carries as they are. */
export const entityIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9._-]+$/, "an id has letters, digits and . _ - only");

/** The input of a procedure on one thing by its id (`/v1/…/{id}`). */
export const byIdInputSchema = z.strictObject({ id: entityIdSchema });
export type ByIdInput = z.infer<typeof byIdInputSchema>;

export const metadataSchema = z.record(z.string(), z.unknown());
export type Metadata = z.infer<typeof metadataSchema>;

export const METADATA_MAX_DEPTH = 8;
export const METADATA_MAX_BYTES = 16_384;

/** Metadata as a client may send it: at most 8 levels of nesting and 16 KiB of JSON. */
export const metadataInputSchema = metadataSchema.superRefine((value, ctx) => {
  // Walked with a stack, not recursion: hostile input may be nested thousands deep.
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop() as [unknown, number];
    if (typeof node !== "object" || node === null) continue;
    if (depth > METADATA_MAX_DEPTH) {
      ctx.addIssue({ code: "custom", message: `nested deeper than ${METADATA_MAX_DEPTH} levels` });
      return;
    }
    for (const child of Object.values(node)) stack.push([child, depth + 1]);
  }
  const bytes = JSON.stringify(value).length;
  if (bytes > METADATA_MAX_BYTES) {
    ctx.addIssue({ code: "custom", message: `${bytes} bytes of JSON; at most ${METADATA_MAX_BYTES}` });
  }
});

export const actorSchema = z.string().trim().min(1).max(256);

export const MAX_USERS = 1_000_000;
export const MAX_SPAWN_RATE = 100_000;
/** One week: the longest any run may be allowed to last. */
export const MAX_DURATION_SEC = 7 * 24 * 3600;

export const usersSchema = z.number().int().min(1, "must be at least 1").max(MAX_USERS);
export const spawnRateSchema = z.number().positive("must be greater than 0").max(MAX_SPAWN_RATE);
export const durationSchema = z.number().int().min(1, "must be at least 1 second").max(MAX_DURATION_SEC);

/** A host name, an IPv4 address, or an IPv6 address in brackets (as a URL's hostname holds it). */
const URL_HOST = new RegExp(`^(?:${z.regexes.hostname.source.slice(1, -1)}|\\[[0-9A-Fa-f:.]{2,45}\\])$`);

export const targetUrlSchema = z.url({
  protocol: /^https?$/,
  hostname: URL_HOST,
  error: "must be an http:// or https:// URL",
});

export const runStatusSchema = z.enum(RUN_STATUSES);
