import { parseArgs } from "node:util";
import { resolveAdminToken } from "./adminToken.js";
import { boot, type Role } from "./boot.js";
import { ConfigError, loadConfig } from "./config.js";
import { createLogger } from "./logger.js";

const ROLES: readonly Role[] = ["all", "api", "worker"];

async function main(): Promise<void> {
  // Everything the server writes (the SQLite file, tokens, run files) is for its own user alone.
  process.umask(0o077);
  const { values } = parseArgs({ options: { config: { type: "string" }, role: { type: "string", default: "all" } } });
  let config;
  try {
    if (!ROLES.includes(values.role as Role)) throw new ConfigError(`--role must be one of ${ROLES.join(", ")}`);
    config = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`loadmgr: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const role = values.role as Role;
  if (role !== "all" && config.redis.url === undefined) {
    process.stderr.write(`loadmgr: --role ${role} needs a queue shared between processes: set REDIS_URL (redis.url)\n`);
    process.exit(2);
  }
  if (role === "worker" && config.server.publicUrl === undefined && config.server.port === 0) {
    // The agent this worker starts on its host dials the API servers, whose address it cannot guess.
    process.stderr.write("loadmgr: --role worker needs server.publicUrl (LOADMGR_PUBLIC_URL) or a fixed server.port\n");
    process.exit(2);
  }
  const logger = createLogger(config.log.level);
  const admin = resolveAdminToken(config);
  const running = await boot(config, { role, logger, adminToken: admin.token });
  // The first chart a user opens should not wait for the read worker to load.
  if (role !== "worker") running.services.windowReader.warm();
  if (running.address !== undefined) {
    const url = `http://${running.address.address}:${running.address.port}`;
    if (admin.source !== "config") {
      // Printed for the person who ran `npm start`; the same token is in the data directory.
      process.stderr.write(`\nAdmin token (kept in ${admin.path}): ${admin.token}\nLoad Manager is up at ${url}\n\n`);
    }
    logger.info(
      { url, role, store: running.services.store.kind, queue: running.services.queue.kind },
      "Load Manager listening",
    );
  } else {
    logger.info(
      { role, store: running.services.store.kind, queue: running.services.queue.kind },
      "Load Manager worker running",
    );
  }

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    // The host's agent and its runs are left running: they keep pushing (and retrying), and the agent
    // finds the next server process (or leaves, a minute after the server, once it runs nothing).
    logger.info({ signal }, "shutting down");
    void running.close().then(() => process.exit(0));
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `loadmgr: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
