import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { rmSync } from "node:fs";
import { startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, locustPrintedTotals, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, runDir, startTestServer } from "./helpers/server.js";

const RUNNER = { metricsIntervalSec: 1, local: { workers: 0 } };

describe("a server restart in the middle of a run", () => {
  let target: TargetApp;
  before(async () => (target = await startTargetApp()));
  after(() => target.close());

  it("neither orphans Locust nor loses the run: the new server adopts it and gets every snapshot", async () => {
    const first = await startTestServer({ runner: RUNNER }, { role: "all", keepData: true });
    const port = Number(new URL(first.url).port);
    const test = await createTest(restClient(first.url), target.url, locustScript("/restart"));
    const run = await startRun(restClient(first.url), test.id, { durationSec: 8 });
    await waitForRun(restClient(first.url), run.id, reporting);
    await first.close();
    await sleep(2500); // Locust keeps running; its pushes fail and are kept

    const second = await startTestServer({ runner: RUNNER, server: { port } }, { role: "all", dataDir: first.dataDir });
    try {
      const api = restClient(second.url);
      const done = await waitForRun(api, run.id, ended, 30_000);
      assert.equal(done.status, "Finished", done.failureReason ?? "");
      const seqs = (await second.metricsStore.listMetricSnapshots(run.id)).map((s) => s.seq);
      assert.deepEqual(
        seqs,
        seqs.map((_, i) => i + 1),
      );
      assert.equal(done.lastMetrics?.totalRequests, (await locustPrintedTotals(runDir(second, run.id))).requests);
    } finally {
      await second.close();
      rmSync(first.dataDir, { recursive: true, force: true });
    }
  });
});
