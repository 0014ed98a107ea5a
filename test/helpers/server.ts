import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { boot, type Role, type Running } from "../../server/src/boot.js";
import { configSchema, type Config } from "../../server/src/config.js";
import { createLogger } from "../../server/src/logger.js";
import type { SandboxStatus } from "../../server/src/runners/sandbox.js";
import type { Store } from "../../server/src/store/store.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface TestServer {
  url: string;
  store: Store;
  config: Config;
  running: Running;
  dataDir: string;
  close: () => Promise<void>;
}

/**
 * A real server (the same boot as `npm start`) on a free loopback port, over a fresh SQLite file
 * unless the config names another store. Pass `dataDir` to reuse one (a restart). The default role
 * is "api": runs are created but no job worker starts Locust (API tests must not generate load);
 * lifecycle tests pass role "all".
 */
export async function startTestServer(
  configInput: Record<string, unknown> = {},
  options: { role?: Role; dataDir?: string; keepData?: boolean; sandbox?: SandboxStatus } = {},
): Promise<TestServer> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "loadmgr-api-"));
  const input = configInput as { server?: Record<string, unknown>; log?: { level?: string } };
  const config = configSchema.parse({
    ...configInput,
    server: { host: "127.0.0.1", port: 0, ...input.server },
    storage: { dataDir },
    log: { level: process.env.TEST_LOG_LEVEL ?? input.log?.level ?? "silent" },
  });
  const running = await boot(config, {
    role: options.role ?? "api",
    logger: createLogger(config.log.level),
    adminToken: ADMIN_TOKEN,
    ...(options.sandbox !== undefined ? { sandbox: options.sandbox } : {}),
  });
  return {
    url: `http://127.0.0.1:${running.address?.port ?? 0}`,
    store: running.services.store,
    config,
    running,
    dataDir,
    close: async () => {
      await running.close();
      if (options.dataDir === undefined && options.keepData !== true) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface ApiResponse<T = unknown> {
  status: number;
  body: T;
}

/** A REST caller as curl would be: JSON in, JSON out, bearer token. */
export function restClient(baseUrl: string, token: string | null = ADMIN_TOKEN) {
  async function call<T = Record<string, unknown>>(
    method: string,
    path: string,
    body?: unknown,
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = {};
    if (token !== null) headers.authorization = `Bearer ${token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${baseUrl}${path}`, {
      method,
      headers,
      ...(body !== undefined ? { body: typeof body === "string" ? body : JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: (text ? JSON.parse(text) : undefined) as T };
  }
  return {
    get: <T = Record<string, unknown>>(path: string) => call<T>("GET", path),
    post: <T = Record<string, unknown>>(path: string, body?: unknown) => call<T>("POST", path, body ?? {}),
    put: <T = Record<string, unknown>>(path: string, body: unknown) => call<T>("PUT", path, body),
    del: <T = Record<string, unknown>>(path: string) => call<T>("DELETE", path),
  };
}
