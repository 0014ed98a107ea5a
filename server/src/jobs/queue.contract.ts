import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { eventually } from "../../../test/helpers/wait.js";
import { runIdOf, type Job, type JobQueue } from "./queue.js";

/** The behaviour every JobQueue promises; run against each backend by its own test file. */
export function queueContract(
  label: string,
  setup: () => Promise<{
    make: (options?: { attempts?: number; backoffMs?: number }) => JobQueue;
    teardown: () => Promise<void>;
  }>,
): void {
  describe(`${label} queue contract`, () => {
    let make: (options?: { attempts?: number; backoffMs?: number }) => JobQueue;
    let teardown: () => Promise<void>;
    const open: JobQueue[] = [];
    const queue = (options?: { attempts?: number; backoffMs?: number }): JobQueue => {
      const q = make(options);
      open.push(q);
      return q;
    };
    before(async () => ({ make, teardown } = await setup()));
    after(async () => {
      await Promise.all(open.map((q) => q.close()));
      await teardown();
    });

    it("delivers a job with its name and data", async () => {
      const q = queue();
      const seen: Job[] = [];
      await q.work(async (job) => void seen.push(job));
      await q.add("run.start", { runId: "r1" });
      await eventually(() => seen.length === 1, 10_000, "delivery");
      assert.equal(seen[0]?.name, "run.start");
      assert.deepEqual(seen[0]?.data, { runId: "r1" });
      assert.equal(seen[0]?.attempt, 1);
    });

    it("holds a delayed job until its delay has passed", async () => {
      const q = queue();
      const seen: number[] = [];
      await q.work(async () => void seen.push(Date.now()));
      const added = Date.now();
      await q.add("run.guard", { runId: "r2" }, { delayMs: 600 });
      await eventually(() => seen.length === 1, 10_000, "delayed delivery");
      assert.ok((seen[0] ?? 0) - added >= 550, `delivered after ${(seen[0] ?? 0) - added} ms`);
    });

    it("ignores a second add with the same job id while the first is pending", async () => {
      const q = queue();
      const seen: string[] = [];
      await q.add("run.start", { runId: "r3" }, { jobId: "start-r3", delayMs: 300 });
      await q.add("run.start", { runId: "r3" }, { jobId: "start-r3", delayMs: 300 });
      await q.work(async (job) => void seen.push(runIdOf(job.data) ?? ""));
      await eventually(() => seen.length >= 1, 10_000, "delivery");
      await sleep(700);
      assert.deepEqual(seen, ["r3"]);
    });

    it("retries a failing job with a growing attempt number until it succeeds", async () => {
      const q = queue({ attempts: 4, backoffMs: 50 });
      const attempts: number[] = [];
      await q.work(async (job) => {
        attempts.push(job.attempt);
        if (job.attempt < 3) throw new Error("not yet");
      });
      await q.add("run.stop", { runId: "r4" });
      await eventually(() => attempts.length === 3, 10_000, "three attempts");
      await sleep(300);
      assert.deepEqual(attempts, [1, 2, 3]);
    });

    it("gives up after the last attempt", async () => {
      const q = queue({ attempts: 2, backoffMs: 20 });
      let calls = 0;
      await q.work(async () => {
        calls++;
        throw new Error("never");
      });
      await q.add("run.stop", { runId: "r5" });
      await eventually(() => calls === 2, 10_000, "two attempts");
      await sleep(400);
      assert.equal(calls, 2);
    });

    it("repeats a scheduled job", async () => {
      const q = queue();
      let sweeps = 0;
      await q.work(async (job) => {
        if (job.name === "runs.sweep") sweeps++;
      });
      await q.every("runs.sweep", 200);
      await eventually(() => sweeps >= 3, 10_000, "three sweeps");
    });

    it("fires a cron job once per tick with its data and the time it was due; replaced by id, stopped by uncron", async () => {
      const q = queue();
      const ticks: Job[] = [];
      await q.work(async (job) => {
        if (job.name === "schedule.tick") ticks.push(job);
      });
      await q.cron("c1", "* * * * * *", "UTC", "schedule.tick", { scheduleId: "s1" });
      await q.cron("c1", "* * * * * *", "Europe/Berlin", "schedule.tick", { scheduleId: "s1" }); // replaces: no double ticks
      await eventually(() => ticks.length >= 3, 10_000, "three ticks");
      const dues = ticks.map((t) => t.dueAt ?? 0);
      assert.equal(new Set(dues).size, dues.length, `one job per tick: ${dues.join(",")}`);
      for (const due of dues) assert.equal(due % 1000, 0, "due on a whole second");
      assert.deepEqual(ticks[0]?.data, { scheduleId: "s1" });
      await q.uncron("c1");
      await sleep(1500);
      const after = ticks.length;
      await sleep(1500);
      assert.equal(ticks.length, after, "no tick after uncron");
    });
  });
}
