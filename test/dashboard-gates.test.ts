import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import type { LoadTest, LoadTestRun, Page as ListPage, RequestStats, Schedule, Webhook } from "@loadmgr/shared";
import { ms } from "../web/src/format.js";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { launchBrowser, screenshot, signedIn } from "./helpers/browser.js";
import { createTest, ended, reporting, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

describe("the dashboard: baselines, an aborted run and its regressions", { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let target: TargetApp;
  const api = () => restClient(server.url);

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer(
      { runner: { metricsIntervalSec: 1, local: { workers: 0 } }, webhooks: { allowPrivateTargets: true } },
      { role: "all" },
    );
    browser = await launchBrowser();
  });
  after(async () => {
    target.setExtraDelay(0);
    await browser.close();
    await server.close();
    await target.close();
  });

  it("makes a run the baseline, aborts the next on a breach, shows its regressions and marks the trend", async () => {
    const test = await createTest(api(), target.url, locustScript("/dash-gates"), {
      name: "Gated checkout",
      defaultDurationSec: 3,
    });
    const first = await waitForRun(api(), (await startRun(api(), test.id)).id, ended);
    assert.equal(first.status, "Finished", first.failureReason ?? "");

    // The baseline button on the finished run's page.
    const { page, errors } = await signedIn(browser, server.url, `#/runs/${first.id}`, 30_000);
    await page.getByRole("button", { name: "Make baseline" }).click();
    await page.locator(".run-facts .badge-baseline").waitFor();
    await page.getByRole("button", { name: "Clear baseline" }).waitFor();
    assert.equal((await api().get<LoadTestRun>(`/v1/runs/${first.id}`)).body.baseline, true);

    // A run started from the test page with an aborting threshold; the target turns slow under it.
    await page.goto(`${server.url}/#/tests/${test.id}`);
    await page.fill('input[name="durationSec"]', "120");
    await page.fill('textarea[name="thresholds"]', "p95<150 abort window=2s delay=1s");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\//);
    const runId = /#\/runs\/([^/?]+)/.exec(page.url())?.[1] ?? "";
    const running = await waitForRun(api(), runId, (r) => (reporting(r) && (r.lastMetrics?.seq ?? 0) >= 3) || ended(r));
    assert.equal(running.status, "Running", running.failureReason ?? "");
    assert.deepEqual(running.trigger, { type: "dashboard", scheduleId: null });
    assert.match(
      await page.locator(".live-thresholds [data-aborts]").innerText(),
      /stops the run on a breach over 2 s/,
    );
    target.setExtraDelay(300);
    const aborted = await waitForRun(api(), runId, ended, 60_000);
    target.setExtraDelay(0);
    assert.equal(aborted.status, "Failed");
    assert.equal(aborted.verdict?.aborted, true);

    await page.locator(".verdict h2", { hasText: "Aborted by a threshold" }).waitFor();
    assert.match(
      await page.getByTestId("abort-cause").innerText(),
      /p95<150 broke \d+ s into the run: measured \d[\d,.]* ms over the last 2 s; the server stopped the run\./,
    );
    const regressions = page.getByTestId("regressions");
    assert.ok(Number(await regressions.getAttribute("data-count")) > 0);
    assert.match(await regressions.innerText(), /regressions? against the baseline/);
    assert.match(await regressions.locator("tr", { hasText: "Aggregated" }).first().innerText(), /p9[59].*\+\d/s);
    assert.equal(await page.getByRole("button", { name: "Make baseline" }).count(), 0, "a Failed run cannot be one");
    // The endpoint table catches up with the whole run (the verdict's figures) before the picture.
    const total = (await api().get<RequestStats>(`/v1/runs/${runId}/requests`)).body.total;
    assert.equal(aborted.verdict?.checks[0]?.measured, total.p95ResponseMs);
    await page
      .locator('section[aria-labelledby="endpoints-title"] tr', { hasText: "Aggregated" })
      .filter({ hasText: ms(total.p95ResponseMs) })
      .waitFor();
    await screenshot(page, "27-run-aborted");
    // The report, saved from the run page.
    const [download] = await Promise.all([
      page.waitForEvent("download"),
      page.getByRole("button", { name: "Report (HTML)" }).click(),
    ]);
    assert.equal(download.suggestedFilename(), `run-${runId}-report.html`);
    const saved = await download.path();
    const html = readFileSync(saved, "utf-8");
    assert.ok(html.startsWith("<!doctype html>"));
    assert.ok(html.includes("Aborted") || html.includes("aborted"));

    // The trend marks the baseline; the test's run list badges it.
    await page.goto(`${server.url}/#/tests/${test.id}`);
    await page.getByTestId("trend-baseline").waitFor();
    assert.match(
      await page.getByTestId("trend-baseline").innerText(),
      new RegExp(`baseline: ${first.name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`),
    );
    assert.deepEqual(await page.locator('.chart ol[aria-label="Baseline"] li').allInnerTexts(), ["baseline"]);
    await page.locator("tr", { hasText: first.name }).locator(".badge-baseline").waitFor();
    await screenshot(page, "28-baseline-trend");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("sets the regression rule and failOnRegression in the test's form, refusing a bad rule at its field", async () => {
    const test = await createTest(api(), target.url, locustScript("/dash-rule"), { name: "Rule form" });
    const { page, errors } = await signedIn(browser, server.url, `#/tests/${test.id}/edit`, 30_000);
    await page.locator('input[name="latencyPercent"]').waitFor();
    assert.equal(await page.inputValue('input[name="latencyPercent"]'), "10");
    await page.fill('input[name="latencyPercent"]', "-5");
    await page.locator('input[name="failOnRegression"]').check();
    await page.getByRole("button", { name: "Save changes" }).click();
    // At the Baseline box, named after the part of it that is wrong.
    const fieldError = page.locator('[data-field="regressionRule"] .field-error');
    await fieldError.waitFor();
    assert.match(await fieldError.innerText(), /^latencyPercent: Too small/);
    assert.equal((await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body.failOnRegression, false);
    await page.fill('input[name="latencyPercent"]', "25");
    await page.fill('input[name="latencyMinMs"]', "5");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(new RegExp(`#/tests/${test.id}$`));
    const saved = (await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    assert.equal(saved.failOnRegression, true);
    assert.deepEqual(saved.regressionRule, { latencyPercent: 25, latencyMinMs: 5, errorRatePoints: 1 });
    const runs = (await api().get<ListPage<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`)).body.items;
    assert.equal(runs.length, 0);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("adds a webhook on the Webhooks page, shows its secret once, and its deliveries after a run", async () => {
    const received: { event: string; body: string }[] = [];
    const receiver = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on("data", (c: Buffer) => chunks.push(c));
      req.on("end", () => {
        received.push({ event: String(req.headers["x-loadmanager-event"]), body: Buffer.concat(chunks).toString() });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, "127.0.0.1", resolve));
    const address = receiver.address();
    const port = typeof address === "object" && address !== null ? address.port : 0;
    try {
      const { page, errors } = await signedIn(browser, server.url, "#/webhooks", 30_000);
      await page.getByRole("heading", { name: "Webhooks" }).waitFor();
      await page.fill('input[name="url"]', "ftp://nope");
      await page.getByRole("button", { name: "Add webhook" }).click();
      await page.locator('[data-field="url"] .field-error').waitFor();
      await page.fill('input[name="url"]', `http://127.0.0.1:${port}/hook`);
      await page.getByRole("button", { name: "Add webhook" }).click();
      const secret = await page.locator("[data-secret]").innerText();
      assert.ok(secret.length >= 32);
      await page.locator("tr[data-webhook]").waitFor();
      const [hook] = (await api().get<{ items: Webhook[] }>("/v1/webhooks")).body.items;
      assert.deepEqual(hook?.events, ["run.finished", "run.failed", "threshold.breached"]);

      const test = await createTest(api(), target.url, locustScript("/dash-hook"), {
        name: "Hooked",
        defaultDurationSec: 2,
      });
      const run = await waitForRun(api(), (await startRun(api(), test.id)).id, ended);
      assert.equal(run.status, "Finished");
      const deadline = Date.now() + 15_000;
      while (received.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(
        received.map((r) => r.event),
        ["run.finished"],
      );
      await page.getByRole("button", { name: "Deliveries" }).click();
      const log = page.locator("table.deliveries tbody tr");
      await log.first().waitFor();
      assert.match(await log.first().innerText(), /run\.finished\s+run\s+1\s+200\s+delivered/);
      await screenshot(page, "30-webhooks");
      await page.getByRole("button", { name: "Disable" }).click();
      await page.getByRole("button", { name: "Enable" }).waitFor();
      assert.equal((await api().get<Webhook>(`/v1/webhooks/${hook?.id ?? ""}`)).body.enabled, false);
      assert.deepEqual(errors, []);
      await page.close();
    } finally {
      await new Promise((resolve) => receiver.close(resolve));
    }
  });

  it("adds a schedule on the test page, refusing a bad cron at its field; pauses and deletes it", async () => {
    const test = await createTest(api(), target.url, locustScript("/dash-schedule"), { name: "Scheduled" });
    const { page, errors } = await signedIn(browser, server.url, `#/tests/${test.id}`, 30_000);
    await page.getByRole("heading", { name: "Schedules" }).waitFor();
    await page.fill('input[name="cron"]', "0 2 * *");
    await page.getByRole("button", { name: "Add schedule" }).click();
    const fieldError = page.locator('.schedules [data-field="cron"] .field-error');
    await fieldError.waitFor();
    assert.match(await fieldError.innerText(), /has 4 fields/);
    await page.fill('input[name="cron"]', "0 2 * * 1-5");
    await page.fill('input[name="timezone"]', "Europe/Berlin");
    // The runs' options, as the Run form takes them: a duration above the test's maximum is refused at its field.
    const form = page.locator(".schedules form");
    await form.locator("summary", { hasText: "Run options" }).click();
    await form.locator('input[name="durationSec"]').fill(String(test.maxDurationSec + 1));
    await page.getByRole("button", { name: "Add schedule" }).click();
    await form.locator('[data-field="durationSec"] .field-error').waitFor();
    assert.deepEqual((await api().get<{ items: Schedule[] }>(`/v1/load-tests/${test.id}/schedules`)).body.items, []);
    await form.locator('input[name="durationSec"]').fill(String(test.defaultDurationSec));
    await form.locator('input[name="targetUsers"]').fill("7");
    await form.locator('textarea[name="thresholds"]').fill("p95<900");
    await page.getByRole("button", { name: "Add schedule" }).click();
    const item = page.locator("li[data-schedule]");
    await item.waitFor();
    assert.equal(await item.locator("[data-runs-with]").innerText(), "7 users, thresholds p95<900");
    // The next run in the schedule's own zone, naming it: 02:00 in Berlin, whatever the browser's zone.
    assert.match(
      await item.innerText(),
      /0 2 \* \* 1-5 \(Europe\/Berlin\) · 7 users, thresholds p95<900 · next run \d{4}-\d\d-\d\d 02:00:00 Europe\/Berlin/,
    );
    const [stored] = (await api().get<{ items: Schedule[] }>(`/v1/load-tests/${test.id}/schedules`)).body.items;
    assert.deepEqual([stored?.cron, stored?.timezone, stored?.enabled], ["0 2 * * 1-5", "Europe/Berlin", true]);
    // Only what differs from the test's defaults: the runs follow later changes to the rest.
    assert.deepEqual([stored?.overrides, stored?.thresholds], [{ targetUsers: 7 }, ["p95<900"]]);
    await screenshot(page, "31-schedules");
    await item.getByRole("button", { name: "Pause" }).click();
    await item.getByRole("button", { name: "Resume" }).waitFor();
    assert.match(await item.innerText(), /paused/);
    await item.getByRole("button", { name: "Delete" }).click();
    await page.getByText("No schedule: runs start only when asked.").waitFor();
    assert.deepEqual((await api().get<{ items: Schedule[] }>(`/v1/load-tests/${test.id}/schedules`)).body.items, []);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
