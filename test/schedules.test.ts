import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { AgentPool, LoadTestRun, Page, Schedule } from "@loadmgr/shared";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { cli } from "./helpers/cli.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { createTest, ended, SCOPE } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";
import { startServerProcess, stopServerProcess, type ServerProcess } from "./helpers/serverProcess.js";

const RUNNER = { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 0 } };

describe("schedules: cron ticks start runs, skip while one is active, and stop when disabled", () => {
  let target: TargetApp;
  let server: TestServer;
  let strict: TestServer;
  let api: ReturnType<typeof restClient>;
  let configDir: string;

  before(async () => {
    target = await startTargetApp();
    // Ticks a few seconds apart need the operator's leave (schedules.minIntervalSec, 60 s by default).
    server = await startTestServer({ runner: RUNNER, schedules: { minIntervalSec: 1 } }, { role: "all" });
    strict = await startTestServer();
    api = restClient(server.url);
    configDir = mkdtempSync(join(tmpdir(), "loadmgr-schedules-cli-"));
  });
  after(async () => {
    await strict.close();
    await server.close();
    await target.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const runsOf = async (testId: string): Promise<LoadTestRun[]> =>
    (await api.get<Page<LoadTestRun>>(`/v1/load-tests/${testId}/runs?limit=100`)).body.items;

  it("refuses a bad cron, time zone or overrides at the field, storing nothing", async () => {
    const test = await createTest(api, target.url, locustScript("/never"), { name: "refusals" });
    const cases: [Record<string, unknown>, string, string][] = [
      [{ cron: "0 2 * *" }, "cron", "INVALID_CRON"],
      [{ cron: "61 2 * * *" }, "cron", "INVALID_CRON"],
      [{ cron: "0 2 * * *", timezone: "Mars/Olympus" }, "timezone", "INVALID_INPUT"],
      [
        { cron: "0 2 * * *", overrides: { stages: [{ durationSec: 5, users: 1, spawnRate: 1 }], targetUsers: 3 } },
        "overrides",
        "STAGES_CONFLICT",
      ],
      [{ cron: "0 2 * * *", overrides: { durationSec: 999_999 } }, "overrides.durationSec", "INVALID_INPUT"],
      [{ cron: "0 2 * * *", overrides: { id: "x" } }, "overrides", "INVALID_INPUT"],
      [{ cron: "0 2 * * *", thresholds: ["p97<3"] }, "thresholds.0", "INVALID_INPUT"],
    ];
    for (const [body, field, code] of cases) {
      const res = await api.post<{ code: string; field: string }>(`/v1/load-tests/${test.id}/schedules`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, code, JSON.stringify(body));
      assert.ok(res.body.field.startsWith(field), `${res.body.field} for ${JSON.stringify(body)}`);
    }
    // Every second is too often by default (60 s apart at least).
    const strictApi = restClient(strict.url);
    const strictTest = await createTest(strictApi, target.url, locustScript("/never"), { name: "strict" });
    const often = await strictApi.post<{ code: string; message: string }>(`/v1/load-tests/${strictTest.id}/schedules`, {
      cron: "*/10 * * * * *",
    });
    assert.equal(often.status, 400);
    assert.match(often.body.message, /ticks 10 s apart; schedules here tick at least 60 s apart/);
    assert.deepEqual((await api.get<{ items: Schedule[] }>(`/v1/load-tests/${test.id}/schedules`)).body.items, []);
    assert.equal((await api.get(`/v1/schedules/01JNOSUCHSCHEDULE00000000`)).status, 404);
  });

  it("starts a run per tick with its overrides and thresholds, records a tick skipped while its run is active, and stops when disabled", async () => {
    const test = await createTest(api, target.url, locustScript("/scheduled"), { name: "Nightly", defaultUsers: 1 });
    const created = await api.post<Schedule>(`/v1/load-tests/${test.id}/schedules`, {
      cron: "*/3 * * * * *",
      timezone: "Europe/Berlin",
      overrides: { targetUsers: 2, spawnRate: 2, durationSec: 4, tags: ["nightly"], env: { REGION: "eu" } },
      thresholds: ["p95<5000"],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const schedule = created.body;
    assert.ok(schedule.nextRunAt !== null && schedule.nextRunAt > Date.now() - 1000 && schedule.nextRunAt % 3000 === 0);
    assert.deepEqual(schedule.ticks, []);

    // The first run: started by the schedule, with its overrides and thresholds.
    let first: LoadTestRun | undefined;
    for (let i = 0; i < 100 && first === undefined; i++) {
      first = (await runsOf(test.id))[0];
      if (first === undefined) await sleep(200);
    }
    assert.ok(first !== undefined, "a tick started a run");
    assert.deepEqual(first.trigger, { type: "schedule", scheduleId: schedule.id });
    assert.deepEqual(
      [first.targetUsers, first.durationSec, first.tags, first.env, first.thresholds, first.createdBy],
      [2, 4, ["nightly"], { REGION: "eu" }, ["p95<5000"], "admin"],
    );
    // It lasts past the next tick (4 s against 3 s): that tick is skipped, and recorded so.
    let skipped: Schedule["ticks"][number] | undefined;
    for (let i = 0; i < 100 && skipped === undefined; i++) {
      const now = (await api.get<Schedule>(`/v1/schedules/${schedule.id}`)).body;
      skipped = now.ticks.find((t) => t.outcome === "skipped");
      if (skipped === undefined) await sleep(200);
    }
    assert.ok(skipped !== undefined, "a tick while the run was active was skipped");
    assert.match(skipped.reason ?? "", new RegExp(`previous run ${first.id} is still (Pending|Running|Stopping)`));
    // Once it ended, a later tick starts the next run.
    let second: LoadTestRun | undefined;
    for (let i = 0; i < 150 && second === undefined; i++) {
      second = (await runsOf(test.id)).find((r) => r.id !== first?.id);
      if (second === undefined) await sleep(200);
    }
    assert.ok(second !== undefined, "a later tick started another run");
    const firstNow = (await api.get<LoadTestRun>(`/v1/runs/${first.id}`)).body;
    assert.ok(ended(firstNow), "the next run started only after the first had ended");
    assert.ok((second.createdAt ?? 0) >= (firstNow.finishedAt ?? Infinity));

    // Disabled: no next run time, and no more runs.
    const disabled = await api.put<Schedule>(`/v1/schedules/${schedule.id}`, { enabled: false });
    assert.deepEqual([disabled.status, disabled.body.enabled, disabled.body.nextRunAt], [200, false, null]);
    // A tick being handled as the change landed may still finish; after that, nothing.
    await sleep(1000);
    const count = (await runsOf(test.id)).length;
    await sleep(4000);
    assert.equal((await runsOf(test.id)).length, count);
    const ticks = (await api.get<Schedule>(`/v1/schedules/${schedule.id}`)).body.ticks;
    assert.equal(new Set(ticks.map((t) => t.at)).size, ticks.length, "each tick recorded once");
    for (const tick of ticks) assert.equal(tick.at % 3000, 0);
    const started = ticks.filter((t) => t.outcome === "started").map((t) => t.runId);
    assert.deepEqual(
      started.sort(),
      (await runsOf(test.id)).map((r) => r.id).sort(),
      "every run came from a recorded tick",
    );
    for (const run of await runsOf(test.id)) await api.post(`/v1/runs/${run.id}/stop`);
  });

  it("is made, listed, paused and deleted with the CLI", async () => {
    const test = await createTest(api, target.url, locustScript("/cli-scheduled"), { name: "CLI nightly" });
    const env = { LOADMGR_URL: server.url, LOADMGR_TOKEN: ADMIN_TOKEN, LOADMGR_CONFIG_DIR: configDir };
    const made = await cli(
      [
        "schedules",
        "create",
        test.id,
        "--cron",
        "0 2 * * 1-5",
        "--tz",
        "Europe/Berlin",
        "--users",
        "5",
        "--threshold",
        "p95<300 abort window=30s",
      ],
      env,
    );
    assert.equal(made.code, 0, made.stderr);
    const [id] = /^schedule (\S+)/.exec(made.stdout)?.slice(1) ?? [];
    assert.ok(id !== undefined, made.stdout);
    assert.match(made.stdout, /0 2 \* \* 1-5 \(Europe\/Berlin\); next run \d{4}-\d\d-\d\dT0[01]:00:00\.000Z/);
    const stored = (await api.get<Schedule>(`/v1/schedules/${id}`)).body;
    assert.deepEqual(stored.overrides, { targetUsers: 5 });
    assert.deepEqual(stored.thresholds, [{ threshold: "p95<300", abortOnFail: true, windowSec: 30 }]);
    const listed = await cli(["schedules", "list", test.id], env);
    assert.match(listed.stdout, new RegExp(`${id}\\s+0 2 \\* \\* 1-5\\s+Europe/Berlin\\s+yes\\s+\\d{4}-`));
    assert.equal((await cli(["schedules", "disable", id], env)).stdout.trim(), `schedule ${id} disabled`);
    assert.equal((await api.get<Schedule>(`/v1/schedules/${id}`)).body.enabled, false);
    assert.equal((await cli(["schedules", "delete", id], env)).code, 0);
    assert.equal((await api.get(`/v1/schedules/${id}`)).status, 404);
    const bad = await cli(["schedules", "create", test.id, "--cron", "nope"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /has 1 fields/);
  });
});

describe("schedules with two server processes on one Redis", () => {
  let redis: RedisServer;
  let dataDir: string;
  const processes: ServerProcess[] = [];

  before(async () => {
    redis = await startRedis();
    dataDir = mkdtempSync(join(tmpdir(), "loadmgr-schedules-two-"));
  });
  after(async () => {
    await Promise.all(processes.map((p) => stopServerProcess(p.child)));
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("takes each tick once: one run, every other tick recorded once as skipped", async () => {
    const configFile = join(dataDir, "config.yaml");
    writeFileSync(configFile, "schedules:\n  minIntervalSec: 1\n");
    const env = { REDIS_URL: redis.url, LOADMGR_DATA_DIR: dataDir, LOADMGR_API_TOKEN: ADMIN_TOKEN };
    const a = await startServerProcess(env, ["--config", configFile]);
    processes.push(a);
    const api = restClient(a.url);
    // Runs on a pool without agents wait, Pending, for capacity: no load, and the schedule's run stays active.
    const pool = await api.post<AgentPool>("/v1/agent-pools", { name: "empty", ...SCOPE });
    assert.equal(pool.status, 201);
    const test = await createTest(api, "http://127.0.0.1:9", "print('never runs')\n", {
      name: "two processes",
      agentPool: pool.body.id,
    });
    const schedule = await api.post<Schedule>(`/v1/load-tests/${test.id}/schedules`, { cron: "*/2 * * * * *" });
    assert.equal(schedule.status, 201, JSON.stringify(schedule.body));
    // The second process registers every schedule as it starts, as the first did when it was made.
    const b = await startServerProcess(env, ["--config", configFile]);
    processes.push(b);
    const seen = async () => (await api.get<Schedule>(`/v1/schedules/${schedule.body.id}`)).body.ticks;
    let ticks = await seen();
    for (let i = 0; i < 100 && ticks.length < 5; i++) {
      await sleep(200);
      ticks = await seen();
    }
    assert.ok(ticks.length >= 5, `five ticks: ${JSON.stringify(ticks)}`);
    assert.equal(new Set(ticks.map((t) => t.at)).size, ticks.length, `each tick once: ${JSON.stringify(ticks)}`);
    const runs = (await api.get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`)).body.items;
    assert.equal(runs.length, 1, "one run");
    assert.deepEqual(runs[0]?.trigger, { type: "schedule", scheduleId: schedule.body.id });
    const oldest = ticks.at(-1);
    assert.deepEqual([oldest?.outcome, oldest?.runId], ["started", runs[0]?.id]);
    assert.ok(ticks.slice(0, -1).every((t) => t.outcome === "skipped" && /is still Pending/.test(t.reason ?? "")));
    await api.put(`/v1/schedules/${schedule.body.id}`, { enabled: false });
  });
});
