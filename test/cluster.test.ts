import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { eventually } from "./helpers/wait.js";
import { startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { AGENT_TOKEN, startAgent, type Agent } from "./helpers/agent.js";
import { createTest, ended, processesMentioning, reporting, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

describe("cluster runs through a loadmgr-locust agent", () => {
  let target: TargetApp;
  let agent: Agent;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;

  before(async () => {
    target = await startTargetApp();
    agent = await startAgent();
    server = await startTestServer(
      {
        runner: { metricsIntervalSec: 1 },
        locustClusters: [{ id: "gen-1", baseUrl: agent.url, authToken: AGENT_TOKEN, ...SCOPE }],
      },
      { role: "all" },
    );
    api = restClient(server.url);
  });
  after(async () => {
    agent.process.kill("SIGKILL");
    await server.close();
    await target.close();
    for (const pid of processesMentioning(agent.dir)) process.kill(pid, "SIGKILL");
    rmSync(agent.dir, { recursive: true, force: true });
  });

  it("refuses callers without the agent token", async () => {
    const res = await fetch(`${agent.url}/runs/x`);
    assert.equal(res.status, 401);
  });

  it("runs a test on the agent's host, reporting to the server, to Finished", async () => {
    const test = await createTest(api, target.url, locustScript("/via-agent"), { locustClusterId: "gen-1" });
    const run = await startRun(api, test.id, { durationSeconds: 3 });
    assert.equal(run.locustClusterId, "gen-1");
    const done = await waitForRun(api, run.id, ended);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.ok((target.hits.get("/via-agent") ?? 0) > 0);
    const snapshots = await server.metricsStore.listMetricSnapshots(run.id);
    assert.equal(snapshots.at(-1)?.final, true);
    const sum = snapshots.flatMap((s) => s.endpoints).reduce((n, e) => n + e.requests, 0);
    assert.equal(sum, done.lastMetrics?.totalRequests);
  });

  it("fails the run when the agent stops answering, and Locust there then stops itself", async () => {
    const test = await createTest(api, target.url, locustScript("/agent-gone"), { locustClusterId: "gen-1" });
    const run = await startRun(api, test.id, { durationSeconds: 120 });
    await waitForRun(api, run.id, reporting);
    agent.process.kill("SIGKILL");
    const failed = await waitForRun(api, run.id, ended, 30_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /agent has been unreachable/);
    // Its next push is answered RUN_FINISHED, and the plugin ends Locust.
    await eventually(
      () => processesMentioning(join(agent.dir, run.id)).length === 0,
      20_000,
      "Locust on the agent to exit",
    );
  });
});
