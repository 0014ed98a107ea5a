import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { startRedis, type RedisServer } from "../../../test/helpers/redis.js";
import { createLogger } from "../logger.js";
import { BullMqQueue } from "./bullmqQueue.js";
import { eventually } from "../../../test/helpers/wait.js";
import { queueContract } from "./queue.contract.js";
import type { Job } from "./queue.js";

queueContract("BullMQ", async () => {
  const redis = await startRedis();
  return {
    make: (options) =>
      new BullMqQueue({ redisUrl: redis.url, name: `contract-${randomUUID()}`, ...options }, createLogger("silent")),
    teardown: () => redis.stop(),
  };
});

describe("BullMQ stalled jobs", () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(() => redis.stop());

  it("redelivers the job of a worker process that was killed mid-job", async () => {
    const name = `stalled-${randomUUID()}`;
    const settings = { redisUrl: redis.url, name, lockDurationMs: 1000, stalledIntervalMs: 500 };
    const producer = new BullMqQueue(settings, createLogger("silent"));
    await producer.add("run.start", { runId: "crash-me" }, { jobId: "start-crash-me" });

    const child = spawn(process.execPath, ["--import", "tsx", "test/helpers/hangingWorker.ts", redis.url, name], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let output = "";
    child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
    await eventually(() => output.includes("took crash-me"), 20_000, "the child worker to take the job");
    child.kill("SIGKILL");

    const seen: Job[] = [];
    const rescuer = new BullMqQueue(settings, createLogger("silent"));
    await rescuer.work(async (job) => void seen.push(job));
    await eventually(() => seen.length === 1, 15_000, "redelivery to a live worker");
    assert.equal(seen[0]?.data.runId, "crash-me");
    await rescuer.close();
    await producer.close();
  });
});
