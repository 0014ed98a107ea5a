import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { freePort } from "./helpers/ports.js";
import { startRedis, type RedisServer } from "./helpers/redis.js";
import { createTest, ended, processesMentioning, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient } from "./helpers/server.js";
import { startServerProcess, stopServerProcess, type ServerProcess } from "./helpers/serverProcess.js";

describe("separate API and worker processes on BullMQ", () => {
  let redis: RedisServer;
  let target: TargetApp;
  let dataDir: string;
  let config: string;
  let port: number;
  const processes: ServerProcess[] = [];
  const start = async (role: "api" | "worker"): Promise<ServerProcess> => {
    const started = await startServerProcess({ PORT: String(port) }, ["--config", config, "--role", role]);
    processes.push(started);
    return started;
  };

  before(async () => {
    redis = await startRedis();
    target = await startTargetApp();
    dataDir = mkdtempSync(join(tmpdir(), "loadmgr-workers-"));
    config = join(dataDir, "config.yaml");
    port = await freePort();
    writeFileSync(
      config,
      [
        `server: { host: 127.0.0.1, port: ${port} }`,
        `storage: { dataDir: ${dataDir} }`,
        `redis: { url: "${redis.url}" }`,
        `security: { apiToken: ${ADMIN_TOKEN} }`,
        "runner: { metricsIntervalSec: 1, local: { workers: 0 } }",
      ].join("\n"),
    );
  });
  after(async () => {
    await Promise.all(processes.map((p) => stopServerProcess(p.child)));
    for (const pid of processesMentioning(dataDir)) process.kill(pid, "SIGKILL");
    await target.close();
    await redis.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("refuses --role worker without REDIS_URL, or without an address for Locust to push to", async () => {
    for (const [env, message] of [
      [{ LOADMGR_DATA_DIR: dataDir }, /REDIS_URL/],
      [{ LOADMGR_DATA_DIR: dataDir, REDIS_URL: redis.url }, /publicUrl/],
    ] as const) {
      await assert.rejects(startServerProcess(env, ["--role", "worker"]), (error: Error & { code?: number }) => {
        assert.equal(error.code, 2);
        assert.match(error.message, message);
        return true;
      });
    }
  });

  it("a worker killed mid-run does not lose the run: the next worker picks it up and it finishes", async () => {
    const api = await start("api");
    const firstWorker = await start("worker");
    const client = restClient(api.url);
    const test = await createTest(client, target.url, locustScript("/workers"));
    const run = await startRun(client, test.id, { durationSec: 8 });
    await waitForRun(client, run.id, reporting);

    firstWorker.child.kill("SIGKILL");
    await sleep(2000);
    const meanwhile = await waitForRun(client, run.id, (r) => r.status === "Running");
    assert.ok(processesMentioning(join(dataDir, "runs", run.id)).length > 0, "Locust keeps running without a worker");

    await start("worker");
    const done = await waitForRun(client, run.id, ended, 30_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.ok((done.lastMetrics?.seq ?? 0) > (meanwhile.lastMetrics?.seq ?? 0), "snapshots kept arriving at the API");
  });
});
