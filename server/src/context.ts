import type { Config } from "./config.js";
import type { Principal } from "./auth.js";
import type { Logger } from "./logger.js";
import type { Store } from "./store/index.js";

/** What the server hands every procedure: its services, and the caller (undefined: no valid token). */
export interface Services {
  config: Config;
  store: Store;
  logger: Logger;
  now: () => number;
}

export interface Context extends Services {
  principal: Principal | undefined;
}
