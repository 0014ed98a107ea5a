import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, it } from "node:test";
import type { LoadTest, LoadTestRun, Page, RequestStats, Timeseries } from "@loadmgr/shared";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { cli } from "./helpers/cli.js";
import { createTest, ended, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const RUNNER = { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 0 } };

describe("gates on real Locust: abort on breach, baselines and regressions", () => {
  let target: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let env: Record<string, string>;
  let configDir: string;

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: RUNNER }, { role: "all" });
    api = restClient(server.url);
    configDir = mkdtempSync(join(tmpdir(), "loadmgr-gates-cli-"));
    env = { LOADMGR_URL: server.url, LOADMGR_TOKEN: ADMIN_TOKEN, LOADMGR_CONFIG_DIR: configDir };
  });
  after(async () => {
    target.setExtraDelay(0);
    await server.close();
    await target.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  /** The test's one run, once it is reporting. */
  async function runOf(test: LoadTest): Promise<LoadTestRun> {
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      const [run] = (await api.get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`)).body.items;
      if (run !== undefined) return waitForRun(api, run.id, (r) => reporting(r) || ended(r), 60_000);
      await sleep(200);
    }
    assert.fail("the CLI started no run");
  }

  it("stops a run whose p95 over its window breaks when the target turns slow: Failed, the reason names it, exit 99", async () => {
    target.setExtraDelay(0);
    const test = await createTest(api, target.url, locustScript("/steady"), { name: "abort on breach" });
    const command = cli(
      [
        "run",
        test.id,
        "--duration",
        "120",
        "--threshold",
        "p95<150 abort window=3s delay=2s",
        "--threshold",
        "error_rate<50%",
      ],
      env,
    );
    const running = await runOf(test);
    assert.equal(running.status, "Running", running.failureReason ?? "");
    assert.deepEqual(running.thresholds, [
      { threshold: "p95<150", abortOnFail: true, windowSec: 3, delayAbortEvalSec: 2 },
      "error_rate<50%",
    ]);
    assert.deepEqual(running.trigger, { type: "cli", scheduleId: null });
    // Fast for a while: judged on every snapshot, and held.
    await waitForRun(api, running.id, (r) => (r.lastMetrics?.seq ?? 0) >= 4 || ended(r));
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${running.id}`)).body.status, "Running");
    target.setExtraDelay(400);

    const result = await command;
    target.setExtraDelay(0);
    assert.equal(result.code, 99, result.stdout + result.stderr);
    assert.match(
      result.stdout,
      /Failed: aborted: threshold "p95<150" breached over the last 3 s \(measured \d+(\.\d+)?, \d+ s into the run\)/,
    );
    const run = (await api.get<LoadTestRun>(`/v1/runs/${running.id}`)).body;
    assert.equal(run.status, "Failed");
    assert.ok(run.verdict !== null);
    assert.equal(run.verdict.aborted, true);
    assert.equal(run.outcome, "aborted");
    assert.equal(run.verdict.passed, false);
    const cause = run.verdict.abortedBy;
    assert.ok(cause !== null);
    assert.equal(cause.threshold, "p95<150");
    assert.equal(cause.windowSec, 3);
    assert.ok((cause.measured ?? 0) >= 150, `measured ${cause.measured}`);
    assert.equal(
      run.failureReason,
      `aborted: threshold "p95<150" breached over the last 3 s (measured ${Math.round((cause.measured ?? 0) * 100) / 100}, ${cause.atSec} s into the run)`,
    );
    // Both thresholds judged over the whole run as it ended: the figures /requests shows.
    assert.deepEqual(
      run.verdict.checks.map((c) => c.threshold),
      ["p95<150", "error_rate<50%"],
    );
    const requests = (await api.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    assert.equal(run.verdict.checks[0]?.measured, requests.total.p95ResponseMs, JSON.stringify(requests.total));
    // It stopped within two intervals of the snapshot that broke it: at most two more snapshots
    // after it (the last being Locust's final one), and long before its 120 s.
    const points = (await api.get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?limit=1000`)).body.points;
    assert.ok(
      points.some((p) => p.seq === cause.seq && (p.p95ResponseMs ?? 0) >= 150),
      `snapshot ${cause.seq} is slow`,
    );
    const later = points.filter((p) => p.seq > cause.seq);
    assert.ok(later.length <= 2, `${later.length} snapshots after the breach`);
    // A run that was aborted cannot be a baseline.
    const refused = await api.post<{ code: string; field: string }>(`/v1/runs/${run.id}/baseline`);
    assert.equal(refused.status, 409);
    assert.deepEqual([refused.body.code, refused.body.field], ["RUN_NOT_FINISHED", "id"]);
    // The snapshots before the slowdown (the first four, which arrived before it began) were fast:
    // it broke on the slowdown, not before. The first can be a sliver of a second with no request
    // ended in it yet (a snapshot covers whole seconds; the run starts mid-second): it has no p95.
    const before = points.filter((p) => p.seq <= 4 && p.requests > 0);
    assert.ok(before.length >= 3, JSON.stringify(points.slice(0, 4)));
    assert.ok(
      before.every((p) => p.p95ResponseMs !== null && p.p95ResponseMs < 150),
      JSON.stringify(before),
    );
  });

  it("compares each later run with its env's baseline: regressions in the verdict, failed with failOnRegression", async () => {
    target.setExtraDelay(0);
    const test = await createTest(api, target.url, locustScript("/compared"), {
      name: "baseline",
      defaultDurationSec: 3,
    });
    const first = await waitForRun(api, (await startRun(api, test.id)).id, ended);
    assert.equal(first.status, "Finished", first.failureReason ?? "");
    assert.equal(first.verdict, null, "no thresholds and no baseline: no verdict");

    const marked = await cli(["runs", "baseline", first.id], env);
    assert.equal(marked.code, 0, marked.stderr);
    assert.match(marked.stdout, new RegExp(`run ${first.id} is now the baseline of test ${test.id}`));
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${first.id}`)).body.baseline, true);

    // Slower by 150 ms everywhere: p95 regresses, and --compare-baseline fails the step.
    target.setExtraDelay(150);
    const summaryFile = join(configDir, "step-summary.md");
    writeFileSync(summaryFile, "# an earlier step\n");
    const slower = await cli(
      ["run", test.id, "--compare-baseline", "--summary", "markdown", "--summary-file", summaryFile],
      env,
    );
    target.setExtraDelay(0);
    assert.equal(slower.code, 99, slower.stdout + slower.stderr);
    assert.match(slower.stdout, new RegExp(`✗ \\d+ regression\\(s\\) against baseline ${first.id}`));
    assert.match(slower.stdout, /Aggregated\s+p95\s+\d+\.\d\s+\d+\.\d\s+\+\d+(\.\d)? %/);
    const [second] = (await api.get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs?limit=1`)).body.items;
    assert.ok(second !== undefined && second.id !== first.id);
    assert.equal(second.status, "Finished");
    assert.ok(second.verdict !== null);
    assert.equal(second.verdict.baselineRunId, first.id);
    assert.equal(second.verdict.passed, true, "failOnRegression is off: the regressions do not fail the verdict");
    const p95 = second.verdict.regressions.find((r) => r.endpoint === "Aggregated" && r.metric === "p95");
    assert.ok(p95 !== undefined, JSON.stringify(second.verdict.regressions));
    // Every request waited 150 ms more: p95 is at least that, whatever the baseline measured on a busy machine.
    assert.ok(p95.measured >= 150 && p95.measured > p95.baseline, JSON.stringify(p95));
    assert.equal(p95.change, Math.round((1000 * (p95.measured - p95.baseline)) / p95.baseline) / 10);

    // The CI summary, appended to the file as GitHub's $GITHUB_STEP_SUMMARY wants.
    const markdown = readFileSync(summaryFile, "utf-8");
    // It regressed (without failOnRegression its verdict passed): its outcome says so, here as everywhere.
    assert.equal(second.outcome, "regressed");
    assert.ok(markdown.startsWith("# an earlier step\n### ⚠️ Regressed against the baseline: baseline · "), markdown);
    assert.ok(markdown.includes(`**Baseline** \`${first.id}\`: ❌`), markdown);
    assert.match(markdown, /\| Aggregated \| p95 \| \d[\d.,]* ms \| \d[\d.,]* ms \| \+\d+(\.\d)? % \|/);
    assert.match(markdown, /\| GET \/compared \| \d/);

    // The report: one file that renders completely in a browser cut off from every network.
    const reportFile = join(configDir, "report.html");
    const written = await cli(["runs", "report", second.id, "-o", reportFile], env);
    assert.equal(written.code, 0, written.stderr);
    const served = await fetch(`${server.url}/v1/runs/${second.id}/report.html`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(served.status, 200);
    assert.equal(served.headers.get("content-type"), "text/html; charset=utf-8");
    assert.match(served.headers.get("content-security-policy") ?? "", /^default-src 'none'; style-src 'unsafe-inline'/);
    const browser = await launchBrowser();
    try {
      const context = await browser.newContext({ offline: true, viewport: { width: 1100, height: 900 } });
      const page = await context.newPage();
      const errors = pageErrors(page);
      const requested: string[] = [];
      page.on("request", (request) => requested.push(request.url()));
      const url = pathToFileURL(reportFile).href;
      await page.goto(url);
      assert.deepEqual(requested, [url], "it asks for nothing but itself");
      assert.equal(await page.locator("h1").innerText(), `baseline · ${second.name}`);
      assert.equal(await page.locator("script").count(), 0);
      assert.equal(await page.locator("svg.chart").count(), 3);
      for (const chart of await page.locator("svg.chart").all()) {
        const box = await chart.boundingBox();
        assert.ok(box !== null && box.width > 500 && box.height > 100, JSON.stringify(box));
        assert.ok((await chart.locator("polyline").count()) >= 1);
      }
      assert.match(await page.locator("#regressions").innerText(), /Aggregated\s+p95/);
      assert.equal(await page.locator("#baseline").innerText(), `Against the baseline ${first.name}`);
      assert.equal(await page.locator("#endpoints tbody tr").count(), 3, "GET /compared, GET /fail, Aggregated");
      assert.match(await page.locator("#ran-with").innerText(), /Started by\s+admin \(cli\)/);
      assert.equal(
        await page.locator('[data-card="Total requests"] b').innerText(),
        second.results?.totalRequests.toLocaleString("en-US"),
      );
      await screenshot(page, "29-run-report");
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
    }
    const missing = await cli(["runs", "report", "no-such-run"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /run no-such-run not found/);

    // With failOnRegression, the same slowdown fails the verdict.
    const updated = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, { failOnRegression: true });
    assert.equal(updated.status, 200, JSON.stringify(updated.body));
    target.setExtraDelay(150);
    const third = await waitForRun(api, (await startRun(api, test.id)).id, ended);
    target.setExtraDelay(0);
    assert.equal(third.status, "Finished", third.failureReason ?? "");
    assert.equal(third.verdict?.passed, false);
    assert.ok((third.verdict?.regressions.length ?? 0) > 0);
    assert.equal(third.outcome, "regressed");
    assert.equal(third.trigger.type, "api");

    // A run set up unlike its baseline is still compared, and its report and the CLI say how they differ.
    const unlike = await cli(["run", test.id, "--users", "2", "--compare-baseline", "--allow-no-success"], env);
    assert.match(
      unlike.stdout,
      /⚠ not set up alike as the baseline: they ran different users \(\d+, 2\)/,
      unlike.stdout,
    );
    const [, unlikeId] = /run (\S+) started/.exec(unlike.stdout) ?? [];
    const unlikeReport = await fetch(`${server.url}/v1/runs/${unlikeId ?? ""}/report.html`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.match(
      await unlikeReport.text(),
      /Not set up alike, so the comparison may mislead: they ran different users/,
    );

    // One baseline per test and env: marking another unmarks the first; clearing leaves none.
    assert.equal((await api.post<LoadTestRun>(`/v1/runs/${third.id}/baseline`)).body.baseline, true);
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${first.id}`)).body.baseline, false);
    const cleared = await cli(["runs", "baseline", third.id, "--clear"], env);
    assert.equal(cleared.code, 0, cleared.stderr);
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${third.id}`)).body.baseline, false);
  });

  it("refuses bad aborting thresholds and regression rules at their field, storing nothing", async () => {
    const test = await createTest(api, target.url, locustScript("/never"), { name: "refusals" });
    const cases: [unknown, string][] = [
      [{ threshold: "p95<300", windowSec: 10 }, "thresholds.0.windowSec"],
      [{ threshold: "p95<300", delayAbortEvalSec: 5 }, "thresholds.0.delayAbortEvalSec"],
      [{ threshold: "p95<300", abortOnFail: true, windowSec: 601 }, "thresholds.0.windowSec"],
      [{ threshold: "p95<300", abortOnFail: true, windowSec: 0 }, "thresholds.0.windowSec"],
      [{ threshold: "p97<300", abortOnFail: true }, "thresholds.0.threshold"],
      [{ threshold: "p95<300", abortOnFail: true, extra: 1 }, "thresholds.0"],
    ];
    for (const [threshold, field] of cases) {
      const res = await api.post<{ code: string; field: string }>(`/v1/load-tests/${test.id}/runs`, {
        thresholds: [threshold],
      });
      assert.equal(res.status, 400, JSON.stringify(threshold));
      assert.deepEqual([res.body.code, res.body.field], ["INVALID_INPUT", field]);
    }
    // A mistyped field inside the object: the field is the item, the message names the key.
    const mistyped = await api.post<{ message: string; field: string }>(`/v1/load-tests/${test.id}/runs`, {
      thresholds: ["p95<300", { threshold: "p95<300", abortOnFail: "yes" }],
    });
    assert.equal(mistyped.status, 400);
    assert.equal(mistyped.body.field, "thresholds.1");
    assert.match(mistyped.body.message, /^thresholds\.1: abortOnFail: Invalid input: expected boolean/);
    const badRule = await api.put<{ code: string; field: string }>(`/v1/load-tests/${test.id}`, {
      regressionRule: { latencyPercent: -1, latencyMinMs: 1, errorRatePoints: 1 },
    });
    assert.equal(badRule.status, 400);
    assert.equal(badRule.body.field, "regressionRule.latencyPercent");
    const stored = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    assert.equal(stored.runCount, 0);
    assert.deepEqual(stored.regressionRule, { latencyPercent: 10, latencyMinMs: 1, errorRatePoints: 1 });
    assert.equal(stored.failOnRegression, false);
    const unknown = await api.post<{ code: string }>(`/v1/runs/01JUNKNOWNRUN000000000000/baseline`);
    assert.equal(unknown.status, 404);
    // The CLI refuses its own form's mistakes before sending anything.
    const bad = await cli(["run", test.id, "--threshold", "p95<300 window=10s"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--threshold: bad threshold "p95<300 window=10s": write the options after "abort"/);
    assert.equal((await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.runCount, 0);
  });
});
