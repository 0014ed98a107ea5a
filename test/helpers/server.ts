import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { configSchema, type Config } from "../../server/src/config.js";
import { createApp } from "../../server/src/http/app.js";
import { createLogger } from "../../server/src/logger.js";
import { SqliteStore } from "../../server/src/store/sqlite/sqliteStore.js";
import type { Store } from "../../server/src/store/store.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

export interface TestServer {
  url: string;
  store: Store;
  config: Config;
  close: () => Promise<void>;
}

/** A real server on a free loopback port, over a fresh SQLite file. */
export async function startTestServer(configInput: Record<string, unknown> = {}): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "loadmgr-api-"));
  const config = configSchema.parse({
    ...configInput,
    server: { host: "127.0.0.1", port: 0 },
    storage: { dataDir },
    log: { level: "silent" },
  });
  const store = new SqliteStore(join(dataDir, "loadmgr.sqlite"));
  await store.init();
  const app = createApp({ config, store, logger: createLogger("silent"), now: Date.now }, ADMIN_TOKEN);
  const address = await app.listen();
  return {
    url: `http://127.0.0.1:${address.port}`,
    store,
    config,
    close: async () => {
      await app.close();
      await store.close();
      rmSync(dataDir, { recursive: true, force: true });
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
