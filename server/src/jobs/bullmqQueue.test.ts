import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { startRedis, type RedisServer } from "../../../test/helpers/redis.js";
import { createLogger } from "../logger.js";
import { BullMqQueue } from "./bullmqQueue.js";
import { eventually } from "../../../test/helpers/wait.js";
import { queueContract } from "./queue.contract.js";
import { runIdOf, type Job } from "./queue.js";

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
    assert.equal(runIdOf(seen[0]?.data), "crash-me");
    await rescuer.close();
    await producer.close();
  });
});

describe("BullMQ cron jobs with two processes on one Redis", () => {
  let redis: RedisServer;
  before(async () => (redis = await startRedis()));
  after(() => redis.stop());

  it("makes each tick one job, taken by one of the two, though both registered it", async () => {
    const name = `cron-${randomUUID()}`;
    const [a, b] = [0, 1].map(() => new BullMqQueue({ redisUrl: redis.url, name }, createLogger("silent")));
    assert.ok(a !== undefined && b !== undefined);
    const taken: { by: string; dueAt: number | undefined }[] = [];
    await a.work(async (job) => void taken.push({ by: "a", dueAt: job.dueAt }));
    await b.work(async (job) => void taken.push({ by: "b", dueAt: job.dueAt }));
    await a.cron("s1", "* * * * * *", "UTC", "schedule.tick", { scheduleId: "s1" });
    await b.cron("s1", "* * * * * *", "UTC", "schedule.tick", { scheduleId: "s1" });
    await eventually(() => taken.length >= 4, 15_000, "four ticks");
    await a.uncron("s1");
    const dues = taken.map((t) => t.dueAt ?? 0);
    assert.equal(new Set(dues).size, dues.length, `each tick once: ${JSON.stringify(taken)}`);
    assert.ok(dues.every((d) => d > 0 && d % 1000 === 0));
    await Promise.all([a.close(), b.close()]);
  });

  it("says whether its every-schedule is ticking, for a process that gets none of the ticks", async () => {
    const name = `every-${randomUUID()}`;
    const queue = new BullMqQueue({ redisUrl: redis.url, name }, createLogger("silent"));
    assert.equal(await queue.ticking("runs.sweep"), false, "not registered");
    await queue.every("runs.sweep", 1000);
    assert.equal(await queue.ticking("runs.sweep"), true);
    // Redis loses it (as when restarted without persistence): no longer ticking.
    const raw = new Redis(redis.url);
    await raw.flushall();
    raw.disconnect();
    assert.equal(await queue.ticking("runs.sweep"), false);
    await queue.close();
  });
});
