import { createLogger } from "../logger.js";
import { InProcessQueue } from "./inProcessQueue.js";
import { queueContract } from "./queue.contract.js";

queueContract("in-process", async () => ({
  make: (options) => new InProcessQueue(createLogger("silent"), options),
  teardown: async () => {},
}));
