import { randomBytes } from "node:crypto";
import type { Config } from "./config.js";
import { keptSecret } from "./keptSecret.js";

export const ADMIN_TOKEN_FILE = "admin-token";

/**
 * The admin token: `security.apiToken` / LOADMGR_API_TOKEN when set, otherwise the one kept in the
 * data directory, generated on first start.
 */
export function resolveAdminToken(config: Config): {
  token: string;
  source: "config" | "file" | "generated";
  path?: string;
} {
  const { value, ...kept } = keptSecret(
    config,
    config.security.apiToken,
    ADMIN_TOKEN_FILE,
    () => `lm_${randomBytes(24).toString("base64url")}`,
  );
  return { token: value, ...kept };
}
