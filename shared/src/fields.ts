import { z } from "zod";

/** Unix milliseconds, an integer, everywhere. */
export const timestampSchema = z.number().int().nonnegative();

/** Account, org, project, env and cluster ids: short, printable, no spaces. */
export const scopeIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9._:@-]+$/, "use letters, digits and . _ : @ - only");

export const entityIdSchema = z.string().min(1).max(64);

export const metadataSchema = z.record(z.string(), z.unknown());

export const actorSchema = z.string().trim().min(1).max(256);

export const MAX_USERS = 1_000_000;
export const MAX_SPAWN_RATE = 100_000;
/** One week: the longest any run may be allowed to last. */
export const MAX_DURATION_SEC = 7 * 24 * 3600;

export const usersSchema = z.number().int().min(1, "must be at least 1").max(MAX_USERS);
export const spawnRateSchema = z.number().positive("must be greater than 0").max(MAX_SPAWN_RATE);
export const durationSchema = z.number().int().min(1, "must be at least 1 second").max(MAX_DURATION_SEC);

export const targetUrlSchema = z.url({
  protocol: /^https?$/,
  hostname: z.regexes.hostname,
  error: "must be an http:// or https:// URL",
});
