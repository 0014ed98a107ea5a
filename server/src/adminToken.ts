import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";

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
  if (config.security.apiToken !== undefined) return { token: config.security.apiToken, source: "config" };
  const path = join(config.storage.dataDir, ADMIN_TOKEN_FILE);
  if (existsSync(path)) {
    const token = readFileSync(path, "utf-8").trim();
    if (token.length >= 16) return { token, source: "file", path };
  }
  mkdirSync(config.storage.dataDir, { recursive: true });
  const token = `lm_${randomBytes(24).toString("base64url")}`;
  writeFileSync(path, `${token}\n`, { mode: 0o600 });
  return { token, source: "generated", path };
}
