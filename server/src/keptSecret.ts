import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Config } from "./config.js";

/**
 * A secret of the server's own (a token, a key): the configured value when there is one, otherwise
 * the one kept in the data directory under `file` (readable by this user only), made on first start.
 */
export function keptSecret(
  config: Config,
  configured: string | undefined,
  file: string,
  make: () => string = () => randomBytes(32).toString("base64url"),
): { value: string; source: "config" | "file" | "generated"; path?: string } {
  if (configured !== undefined) return { value: configured, source: "config" };
  const path = join(config.storage.dataDir, file);
  if (existsSync(path)) {
    const value = readFileSync(path, "utf-8").trim();
    if (value.length >= 16) return { value, source: "file", path };
  }
  mkdirSync(config.storage.dataDir, { recursive: true });
  const value = make();
  writeFileSync(path, `${value}\n`, { mode: 0o600 });
  return { value, source: "generated", path };
}
