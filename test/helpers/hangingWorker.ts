// A worker process that takes one job and never finishes it, so a test can kill it mid-job.
import { BullMqQueue } from "../../server/src/jobs/bullmqQueue.js";
import { runIdOf } from "../../server/src/jobs/queue.js";
import { createLogger } from "../../server/src/logger.js";

const [redisUrl = "", name = ""] = process.argv.slice(2);
const queue = new BullMqQueue({ redisUrl, name, lockDurationMs: 1000, stalledIntervalMs: 500 }, createLogger("silent"));
await queue.work(async (job) => {
  process.stdout.write(`took ${runIdOf(job.data) ?? ""}\n`);
  await new Promise(() => {});
});
