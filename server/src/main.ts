import { parseArgs } from "node:util";
import { resolveAdminToken } from "./adminToken.js";
import { ConfigError, loadConfig } from "./config.js";
import { createApp } from "./http/app.js";
import { createLogger } from "./logger.js";
import { createStore } from "./store/index.js";

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { config: { type: "string" } } });
  let config;
  try {
    config = loadConfig({ ...(values.config !== undefined ? { file: values.config } : {}) });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`loadmgr: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
  const logger = createLogger(config.log.level);
  const store = createStore(config);
  await store.init();
  const admin = resolveAdminToken(config);
  const app = createApp({ config, store, logger, now: Date.now }, admin.token);
  const address = await app.listen();
  const url = `http://${address.address}:${address.port}`;
  if (admin.source !== "config") {
    // Printed for the person who ran `npm start`; the same token is in the data directory.
    process.stderr.write(`\nAdmin token (kept in ${admin.path}): ${admin.token}\nLoad Manager is up at ${url}\n\n`);
  }
  logger.info({ url, store: store.kind }, "Load Manager listening");

  let stopping = false;
  const shutdown = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    void app
      .close()
      .then(() => store.close())
      .then(() => process.exit(0));
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
