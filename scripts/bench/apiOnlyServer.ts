// The server as `npm start` builds it (config from the environment, embedded defaults unless
// MONGODB_URI is set), but with no job worker: runs created for a benchmark stay Pending until the
// benchmark's pushes move them, and no Locust is started. Prints the line the test helpers wait for.
import { boot } from "../../server/src/boot.js";
import { loadConfig } from "../../server/src/config.js";
import { createLogger } from "../../server/src/logger.js";

const config = loadConfig({});
const running = await boot(config, {
  role: "api",
  logger: createLogger(config.log.level),
  adminToken: process.env.LOADMGR_API_TOKEN ?? "",
});
running.services.windowReader.warm(); // as npm start does
process.stdout.write(`Load Manager is up at http://127.0.0.1:${running.address?.port ?? 0}\n`);
process.on("SIGTERM", () => void running.close().then(() => process.exit(0)));
