import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, join } from "node:path";

export const DEFAULT_URL = "http://127.0.0.1:8080";

export interface Connection {
  url: string;
  token: string;
}

export interface Profile {
  url?: string;
  token?: string;
  accountId?: string;
  orgId?: string;
  projectId?: string;
}

export class UsageError extends Error {}

function profilePath(env: NodeJS.ProcessEnv): string {
  const dir = env.LOADMGR_CONFIG_DIR ?? join(env.XDG_CONFIG_HOME ?? join(homedir(), ".config"), "loadmgr");
  return join(dir, "profile.json");
}

export function readProfile(env: NodeJS.ProcessEnv): Profile {
  const path = profilePath(env);
  return existsSync(path) ? (JSON.parse(readFileSync(path, "utf-8")) as Profile) : {};
}

export function writeProfile(env: NodeJS.ProcessEnv, profile: Profile): string {
  const path = profilePath(env);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600 });
  return path;
}

/** The token a local `npm start` wrote (./data/admin-token, or LOADMGR_DATA_DIR's). */
function localToken(env: NodeJS.ProcessEnv, cwd: string): string | undefined {
  const path = join(env.LOADMGR_DATA_DIR ?? join(cwd, "data"), "admin-token");
  return existsSync(path) ? readFileSync(path, "utf-8").trim() : undefined;
}

/** Flags, then LOADMGR_URL/LOADMGR_TOKEN, then the saved profile, then the local server's defaults. */
export function resolveConnection(
  flags: { url?: string | undefined; token?: string | undefined },
  env: NodeJS.ProcessEnv,
  cwd: string,
): Connection {
  const profile = readProfile(env);
  const url = flags.url ?? env.LOADMGR_URL ?? profile.url ?? DEFAULT_URL;
  const token =
    flags.token ?? env.LOADMGR_TOKEN ?? profile.token ?? (url === DEFAULT_URL ? localToken(env, cwd) : undefined);
  if (token === undefined || token === "") {
    throw new UsageError("no token: run `loadmgr login --url <url> --token <token>` or set LOADMGR_TOKEN");
  }
  return { url, token };
}
