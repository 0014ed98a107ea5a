import { startRedis } from "../../../test/helpers/redis.js";
import { createLogger } from "../logger.js";
import { liveBusContract } from "./liveBus.contract.js";
import { RedisBus } from "./redisBus.js";

liveBusContract("Redis pub/sub (two instances)", async () => {
  const redis = await startRedis();
  const logger = createLogger("silent");
  const a = new RedisBus(redis.url, logger);
  const b = new RedisBus(redis.url, logger);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await redis.stop();
    },
  };
});
