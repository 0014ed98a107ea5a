import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { boot, type Role, type Running } from "../../server/src/boot.js";
import { configSchema, type Config } from "../../server/src/config.js";
import { createLogger } from "../../server/src/logger.js";
import type { SandboxStatus } from "../../server/src/runners/sandbox.js";
import type { Store } from "../../server/src/store/store.js";
import type { MetricsStore } from "../../server/src/metrics/metricsStore.js";
import { startMongoWireServer } from "./ferretdb.js";
import { startRedis } from "./redis.js";

export const ADMIN_TOKEN = "test-admin-token-0123456789";

/**
 * `LOADMGR_TEST_STACK=production` runs every test server of the process on the production stack: a
 * MongoDB wire-protocol server (FerretDB, or MONGODB_URI) and BullMQ and pub/sub on a real
 * redis-server, both started once per test process. Each server gets its own database and Redis
 * database, named after its data directory, so a restart on the same directory finds its data again.
 */
export const PRODUCTION_STACK = process.env.LOADMGR_TEST_STACK === "production";

let stack: Promise<{ mongoUri: string; redisUrl: string }> | undefined;
const redisDbs = new Map<string, number>();

async function productionStack(dataDir: string): Promise<Record<string, unknown>> {
  stack ??= (async () => {
    const [mongo, redis] = await Promise.all([startMongoWireServer(), startRedis({ databases: 256 })]);
    process.once("exit", () => {
      void mongo.stop();
      void redis.stop();
    });
    return { mongoUri: mongo.uri, redisUrl: redis.url };
  })();
  const { mongoUri, redisUrl } = await stack;
  const name = basename(dataDir).replace(/[^A-Za-z0-9_]/g, "_");
  let db = redisDbs.get(name);
  if (db === undefined) redisDbs.set(name, (db = redisDbs.size + 1));
  return { mongodb: { uri: mongoUri, database: name }, redis: { url: `${redisUrl}/${db}` } };
}

export interface TestServer {
  url: string;
  store: Store;
  metricsStore: MetricsStore;
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
  const { runner } = configInput as { runner?: { local?: Record<string, unknown> } };
  const config = configSchema.parse({
    ...(PRODUCTION_STACK ? await productionStack(dataDir) : {}),
    ...configInput,
    // Tests read Locust's CSVs and log in a run's directory after it ended: kept unless a test says
    // otherwise (the default, removed once collected, is tested in test/relay.test.ts).
    runner: { ...runner, local: { keepRunsHours: 1, ...runner?.local } },
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
  const { store, queue, live } = running.services;
  if (PRODUCTION_STACK && [store.kind, queue.kind, live.kind].join() !== "mongodb,bullmq,redis") {
    await running.close();
    throw new Error(`LOADMGR_TEST_STACK=production, yet the server runs on ${store.kind}, ${queue.kind}, ${live.kind}`);
  }
  return {
    url: `http://127.0.0.1:${running.address?.port ?? 0}`,
    store: running.services.store,
    metricsStore: running.services.metricsStore,
    config,
    running,
    dataDir,
    close: async () => {
      const gone = options.dataDir === undefined && options.keepData !== true;
      // A server that is not coming back takes its host's agent, and the runs it holds, with it.
      running.localAgent?.close(gone);
      await running.close();
      if (gone) rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The directory of a run on the server's own host (spec.json, locust.log, work/ with Locust's CSVs). */
export function runDir(server: Pick<TestServer, "running">, runId: string): string {
  return join(server.running.runsDir, runId);
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
