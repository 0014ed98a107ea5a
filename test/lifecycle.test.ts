import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodeScript, type LoadTest, type LoadTestRun, type RequestStats, type ScriptRevision } from "@loadmgr/shared";
import { hangingScript, startTargetApp, locustScript, type TargetApp } from "./fixtures/targetApp.js";
import {
  createTest,
  ended,
  locustGone,
  locustPrintedTotals,
  locustProcesses,
  masterPid,
  processesMentioning,
  reporting,
  startRun,
  waitForRun,
} from "./helpers/runs.js";
import { restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";
import { DEFAULT_AGENT_COMMAND, LocalAgent, localPoolToken } from "../server/src/agents/localAgent.js";

const RUNNER = { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 0 } };

describe("run lifecycle on real Locust (local runner)", () => {
  let target: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let runsDir: string;
  const dirOf = (runId: string): string => runDir(server, runId);

  before(async () => {
    target = await startTargetApp();
    // A relative runs directory, as the default ./data/runs is.
    runsDir = mkdtempSync(join(tmpdir(), "loadmgr-runs-"));
    server = await startTestServer(
      { runner: { ...RUNNER, local: { ...RUNNER.local, runsDir: relative(process.cwd(), runsDir) } } },
      { role: "all" },
    );
    api = restClient(server.url);
  });
  after(async () => {
    await server.close();
    await target.close();
    rmSync(runsDir, { recursive: true, force: true });
  });

  it("runs the exact revision to its duration: Finished, on time, with Locust's own totals", async () => {
    const test = await createTest(api, target.url, locustScript("/revision-one"));
    const edit = await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, {
      scriptContent: encodeScript(locustScript("/revision-two")),
      description: "second revision",
    });
    assert.equal(edit.status, 201);
    const created = await startRun(api, test.id, { durationSec: 4 });
    assert.equal(created.status, "Pending");
    assert.equal(created.scriptRevisionId, edit.body.id);

    const run = await waitForRun(api, created.id, ended);
    assert.equal(run.status, "Finished", run.failureReason ?? "");
    const took = (run.finishedAt ?? 0) - (run.startedAt ?? 0);
    assert.ok(took >= 3000 && took <= 6500, `finishedAt − startedAt = ${took} ms for a 4 s run`);

    assert.equal(target.hits.get("/revision-one") ?? 0, 0, "revision 1 must not have run");
    assert.ok((target.hits.get("/revision-two") ?? 0) > 0, "revision 2 ran");
    const snapshots = await server.metricsStore.listMetricSnapshots(run.id);
    assert.deepEqual(
      snapshots.map((s) => s.seq),
      snapshots.map((_, i) => i + 1),
    );
    assert.equal(snapshots.at(-1)?.final, true);
    const intervalSum = snapshots.flatMap((s) => s.endpoints).reduce((n, e) => n + e.requests, 0);
    const printed = await locustPrintedTotals(dirOf(run.id));
    assert.equal(run.lastMetrics?.totalRequests, printed.requests);
    assert.equal(run.lastMetrics?.totalFailures, printed.failures);
    assert.equal(intervalSum, printed.requests);
    assert.ok(printed.failures > 0, "the /fail task was counted as failures");

    // The test's list of recent runs follows the run's own status: on MongoDB they are two writes (no
    // transaction spans two documents), so the list may show the run's end a moment after the run does.
    let after = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    for (const deadline = Date.now() + 5000; after.recentRuns[0]?.status !== "Finished" && Date.now() < deadline;) {
      await sleep(50);
      after = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    }
    assert.deepEqual(
      after.recentRuns.map((r) => [r.id, r.status]),
      [[run.id, "Finished"]],
    );
  });

  it("stops on request: Stopping at once, then Stopped with a final snapshot", async () => {
    const test = await createTest(api, target.url, locustScript("/stop-me"));
    const run = await startRun(api, test.id, { durationSec: 120 });
    await waitForRun(api, run.id, reporting);
    const stop = await api.post<LoadTestRun>(`/v1/runs/${run.id}/stop`);
    assert.equal(stop.status, 200);
    assert.equal(stop.body.status, "Stopping");
    const stopped = await waitForRun(api, run.id, ended, 20_000);
    assert.equal(stopped.status, "Stopped", stopped.failureReason ?? "");
    const snapshots = await server.metricsStore.listMetricSnapshots(run.id);
    assert.equal(snapshots.at(-1)?.final, true);
    // (locustPrintedTotals also waits for every process of the run to be gone.)
    assert.equal(stopped.lastMetrics?.totalRequests, (await locustPrintedTotals(dirOf(run.id))).requests);
  });

  it("changes a running run's users when asked, stored as an event; refuses it with stages, when ended, or out of range", async () => {
    const test = await createTest(api, target.url, locustScript("/steer", 0.2));
    const run = await startRun(api, test.id, { durationSec: 120, targetUsers: 2, spawnRate: 10 });
    await waitForRun(api, run.id, (r) => reporting(r) && r.lastMetrics?.users === 2);
    const bad = await api.post<{ code: string; field: string }>(`/v1/runs/${run.id}/load`, { targetUsers: 0 });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, "INVALID_INPUT", "targetUsers"]);
    const changed = await api.post<LoadTestRun>(`/v1/runs/${run.id}/load`, { targetUsers: 6, spawnRate: 10 });
    assert.equal(changed.status, 200, JSON.stringify(changed.body));
    assert.deepEqual(
      changed.body.loadChanges.map((c) => [c.targetUsers, c.spawnRate, c.by]),
      [[6, 10, "admin"]],
    );
    // Locust's master takes it with its next snapshot's answer, and its snapshots show it.
    await waitForRun(api, run.id, (r) => r.lastMetrics?.users === 6, 30_000);
    assert.equal((await api.post<LoadTestRun>(`/v1/runs/${run.id}/stop`)).status, 200);
    const stopped = await waitForRun(api, run.id, ended, 20_000);
    assert.equal(stopped.status, "Stopped");
    const late = await api.post<{ code: string; field: string }>(`/v1/runs/${run.id}/load`, { targetUsers: 3 });
    assert.deepEqual([late.status, late.body.code, late.body.field], [409, "RUN_NOT_RUNNING", "id"]);
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${run.id}`)).body.loadChanges.length, 1);

    const staged = await startRun(api, test.id, { stages: [{ durationSec: 30, users: 2, spawnRate: 2 }] });
    const refused = await api.post<{ code: string; field: string }>(`/v1/runs/${staged.id}/load`, { targetUsers: 3 });
    assert.deepEqual(
      [refused.status, refused.body.code, refused.body.field],
      [409, "RUN_FOLLOWS_STAGES", "targetUsers"],
    );
    await api.post(`/v1/runs/${staged.id}/stop`);
    await waitForRun(api, staged.id, ended, 60_000);
  });

  it("stops a run stopped the moment it is launched, every time, while its sandbox is still starting", async () => {
    // A stop that reached the sandbox's first process before its handlers were in place was lost (a
    // pid namespace's first process takes no signal it has no handler for): Locust ran on until the
    // guard killed it 30 s later. The supervisor now holds a stop until the sandbox says it can take it.
    const test = await createTest(api, target.url, locustScript("/stop-at-launch"));
    const runIds: string[] = [];
    for (const delayMs of [0, 40, 80, 120, 160, 200]) {
      const run = await startRun(api, test.id, { durationSec: 120 });
      runIds.push(run.id);
      await waitForRun(api, run.id, (r) => r.launchedAt !== null || ended(r));
      await sleep(delayMs);
      await api.post(`/v1/runs/${run.id}/stop`);
      const done = await waitForRun(api, run.id, ended, 25_000);
      assert.equal(done.status, "Stopped", `stopped ${delayMs} ms after launch: ${done.failureReason ?? ""}`);
      assert.equal(done.failureReason, null, `stopped ${delayMs} ms after launch`);
    }
    // Nothing of them is left: a stop that reached the supervisor before its handlers once ended it while
    // bubblewrap was setting the sandbox up, and the sandbox's first process lived on (seen on gVisor, 2
    // runs of this test in 5), its run long over.
    for (const runId of runIds) {
      await eventually(() => processesMentioning(runId).length === 0, 30_000, `the processes of run ${runId} to end`);
    }
  });

  it("starts one Locust for a start delivered three times, and stops once for a stop asked twice", async () => {
    // A server that works no jobs itself: the test delivers them, concurrently, as a redelivery would,
    // and runs the host's agent beside it.
    const apiOnly = await startTestServer({ runner: RUNNER }, { role: "api" });
    const agent = new LocalAgent({
      command: DEFAULT_AGENT_COMMAND,
      runsDir: apiOnly.running.runsDir,
      serverUrl: apiOnly.url,
      token: localPoolToken(apiOnly.running.services.runTokens).token,
      capacity: 8,
      // This test reads the run's log in its directory afterwards.
      keepRunsHours: 1,
      logger: apiOnly.running.services.logger,
    });
    agent.start();
    try {
      const client = restClient(apiOnly.url);
      const { lifecycle } = apiOnly.running;
      const test = await createTest(client, target.url, locustScript("/twice"));
      const run = await startRun(client, test.id, { durationSec: 120 });
      // Until the agent has connected the run waits for room; then the three deliveries race to place it.
      for (let placed = false; !placed;) {
        await Promise.all([lifecycle.start(run.id), lifecycle.start(run.id), lifecycle.start(run.id)]);
        placed = (await client.get<LoadTestRun>(`/v1/runs/${run.id}`)).body.launchedAt !== null;
        if (!placed) await sleep(200);
      }
      await waitForRun(client, run.id, reporting);
      const dir = runDir(apiOnly, run.id);
      assert.equal(locustProcesses(dir).length, 1, "one Locust process");
      assert.equal((await client.post<LoadTestRun>(`/v1/runs/${run.id}/stop`)).body.status, "Stopping");
      assert.equal((await client.post<LoadTestRun>(`/v1/runs/${run.id}/stop`)).body.status, "Stopping");
      const stopped = await waitForRun(client, run.id, ended, 20_000);
      assert.equal(stopped.status, "Stopped");
      const log = readFileSync(join(dir, "locust.log"), "utf-8");
      assert.equal(log.match(/Got SIGTERM signal/g)?.length, 1, "Locust was told to stop once");
    } finally {
      agent.close(true);
      await apiOnly.close();
    }
  });

  it("does not fail a healthy run as silent while the server itself stood still longer than the silence window", async () => {
    const test = await createTest(api, target.url, locustScript("/stall"));
    const run = await startRun(api, test.id, { durationSec: 20 });
    await waitForRun(api, run.id, reporting);
    // The whole server process stands still for 15 s: longer than 3 intervals + 10 s.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 15_000);
    // This test's own keep-alive connection was closed by the server as idle meanwhile.
    await api.get(`/v1/runs/${run.id}`).catch(() => undefined);
    const end = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(end.status, "Finished", end.failureReason ?? "");
    assert.equal(end.lastMetrics?.totalRequests, (await locustPrintedTotals(dirOf(run.id))).requests);
  });

  it("ends as Stopped when the Locust master gets SIGTERM", async () => {
    const test = await createTest(api, target.url, locustScript("/sigterm"));
    const run = await startRun(api, test.id, { durationSec: 120 });
    await waitForRun(api, run.id, reporting);
    process.kill(masterPid(dirOf(run.id)), "SIGTERM");
    const stopped = await waitForRun(api, run.id, ended, 20_000);
    assert.equal(stopped.status, "Stopped", stopped.failureReason ?? "");
  });

  it("fails a run whose Locust master is killed with SIGKILL and cleans up its workers", async () => {
    // A second server whose runs use one master and two workers.
    const distributed = await startTestServer({ runner: { ...RUNNER, local: { workers: 2 } } }, { role: "all" });
    try {
      const client = restClient(distributed.url);
      const test = await createTest(client, target.url, locustScript("/sigkill"));
      const run = await startRun(client, test.id, { durationSec: 120, thresholds: ["rps>0", "p95<0"] });
      await waitForRun(client, run.id, reporting);
      // Locust's running count leads what its snapshots carry (they hold whole seconds every worker has
      // reported): wait until the server has stored rows of requests, which the kill cannot take back.
      const storedRequests = async () => (await client.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body.total;
      for (const deadline = Date.now() + 30_000; (await storedRequests()).numRequests === 0; await sleep(200)) {
        assert.ok(Date.now() < deadline, "timed out waiting for stored requests");
      }
      const dir = runDir(distributed, run.id);
      assert.equal(locustProcesses(dir).length, 3, "master and two workers");
      process.kill(masterPid(dir), "SIGKILL");
      const failed = await waitForRun(client, run.id, ended, 30_000);
      assert.equal(failed.status, "Failed");
      assert.match(failed.failureReason ?? "", /killed \(SIGKILL\)/);
      // The server ended it, and judged its thresholds on what Locust had sent until then.
      const requests = (await client.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
      assert.ok(requests.total.numRequests > 0);
      assert.deepEqual(failed.verdict?.checks, [
        { threshold: "rps>0", measured: requests.total.requestsPerSec, passed: true },
        { threshold: "p95<0", measured: requests.total.p95ResponseMs, passed: false },
      ]);
      assert.equal(failed.verdict?.passed, false);
      await locustGone(dir);
    } finally {
      await distributed.close();
    }
  });

  it("fails within seconds, with Locust's error text, when the script imports a missing module", async () => {
    const test = await createTest(api, target.url, "import no_such_module_here\n" + locustScript("/x"));
    const run = await startRun(api, test.id, { durationSec: 60 });
    const started = Date.now();
    const failed = await waitForRun(api, run.id, ended, 50_000);
    assert.equal(failed.status, "Failed");
    // Its cause first, in one line; then the log's end, without this host's paths.
    const [first, ...rest] = (failed.failureReason ?? "").split("\n");
    assert.match(
      first ?? "",
      /^Locust exited with code \d+ before the run ended: ModuleNotFoundError: No module named 'no_such_module_here'$/,
    );
    assert.ok(rest.length > 0);
    assert.doesNotMatch(failed.failureReason ?? "", /File "\//);
    // At its import, not at the end of its 60 s (however busy the machine).
    assert.ok(Date.now() - started < 45_000, `failed ${Date.now() - started} ms after it started`);
  });

  it("fails a run whose script dies at import after longer than its duration (it never started)", async () => {
    // Slow imports on a busy host made a 5 s run's dead Locust look like one that had run its course:
    // the sweep tried Pending → Finished, which is no move, and the run sat Pending.
    const script = "import time\ntime.sleep(3)\nraise RuntimeError('gave up at import')\n" + locustScript("/x");
    const test = await createTest(api, target.url, script);
    const run = await startRun(api, test.id, { durationSec: 1 });
    const failed = await waitForRun(api, run.id, ended, 30_000);
    assert.equal(failed.status, "Failed");
    assert.equal(failed.startedAt, null);
    assert.match(
      failed.failureReason ?? "",
      /^Locust exited with code \d+ before the run ended: RuntimeError: gave up at import/,
    );
  });

  it("ends eight concurrent runs of one test as what happened to each: Finished at their duration, Stopped when asked", async () => {
    const test = await createTest(api, target.url, locustScript("/concurrent"));
    // Half run out their duration; half are stopped once load flows (their duration is far away).
    const plans = Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? "finish" : "stop"));
    const runs = await Promise.all(
      plans.map((plan) => startRun(api, test.id, { durationSec: plan === "finish" ? 4 : 120 })),
    );
    const outcomes = await Promise.all(
      runs.map(async (run, i) => {
        if (plans[i] === "stop") {
          const running = await waitForRun(api, run.id, reporting, 90_000);
          // Running means Locust reported its test start, after the runner launched it.
          assert.ok(running.launchedAt !== null && running.startedAt !== null, JSON.stringify(running));
          assert.ok(running.startedAt >= running.launchedAt - 1000, JSON.stringify(running));
          const stop = await api.post<LoadTestRun>(`/v1/runs/${run.id}/stop`);
          assert.equal(stop.status, 200, JSON.stringify(stop.body));
        }
        return waitForRun(api, run.id, ended, 120_000);
      }),
    );
    assert.deepEqual(
      outcomes.map((r) => `${r.status}${r.failureReason !== null ? `: ${r.failureReason}` : ""}`),
      plans.map((plan) => (plan === "finish" ? "Finished" : "Stopped")),
    );
    // On MongoDB a transition writes the run, then (under the test's lock) its recentRuns entry: two
    // documents, no transaction, so the last run's entry may land just after the run reads as ended.
    const expected = outcomes.map((r) => [r.id, r.status]).sort();
    let recent: [string, string][] = [];
    for (let tries = 0; tries < 50; tries++) {
      const entries = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.recentRuns;
      recent = entries.map((r): [string, string] => [r.id, r.status]).sort();
      if (JSON.stringify(recent) === JSON.stringify(expected)) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.deepEqual(recent, expected);
  });

  it("fails a run whose Locust hangs after its test start, once it sends nothing for 3 intervals + 10 s", async () => {
    const test = await createTest(api, target.url, hangingScript("/hang"));
    const run = await startRun(api, test.id, { durationSec: 120 });
    await waitForRun(api, run.id, (r) => r.status === "Running");
    const failed = await waitForRun(api, run.id, ended, 45_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /no metrics from Locust/);
    await locustGone(dirOf(run.id));
  });
});

/** A locustfile whose Locust never reaches the server: it points its own plugin's deliveries nowhere. */
function silentScript(path: string): string {
  return `from locust import events

${locustScript(path)}

@events.init.add_listener
def _unreachable(environment, **_kwargs):
    reporter = getattr(environment, "loadmgr_reporter", None)
    if reporter is not None:
        reporter.delivery.base_url = "unix:/nonexistent.sock"
`;
}

describe("the server's own guards (Locust cannot reach the server)", () => {
  let target: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { ...RUNNER, guardGraceSec: 2, startTimeoutSec: 5 } }, { role: "all" });
    api = restClient(server.url);
  });
  after(async () => {
    await server.close();
    await target.close();
  });

  it("fails a run that passes its duration plus grace, and kills its processes", async () => {
    const test = await createTest(api, target.url, silentScript("/guard"));
    const run = await startRun(api, test.id, { durationSec: 2 });
    const failed = await waitForRun(api, run.id, ended, 20_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /guard/);
    await locustGone(runDir(server, run.id));
  });

  it("fails a run whose Locust never reports its test start within startTimeoutSec, and kills it", async () => {
    const test = await createTest(api, target.url, silentScript("/silent"));
    const run = await startRun(api, test.id, { durationSec: 120 });
    const launched = await waitForRun(api, run.id, (r) => r.launchedAt !== null || ended(r), 20_000);
    // Launched, not Running: no load reported yet.
    assert.equal(launched.status, "Pending");
    const failed = await waitForRun(api, run.id, ended, 30_000);
    assert.equal(failed.status, "Failed");
    assert.match(failed.failureReason ?? "", /did not report its test start within 5 s/);
    await locustGone(runDir(server, run.id));
  });
});
