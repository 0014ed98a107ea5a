import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type {
  Aggregate,
  Graph,
  LoadTest,
  LoadTestRun,
  Page as ListPage,
  RequestStats,
  RunSummary,
  Scatter,
} from "@loadmgr/shared";
import { ms } from "../shared/src/format.js";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { freePort } from "./helpers/ports.js";
import { pusher } from "./helpers/pusher.js";
import { collectedFile, createTest, startRun, waitForRun, ended } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const grouped = (n: number) => n.toLocaleString("en-US");

/** The text of the first element matching `selector`, once it is there. */
async function textOf(page: Page, selector: string): Promise<string> {
  return (await page.locator(selector).first().textContent()) ?? "";
}

/** Waits until the page's `selector` text satisfies `check` (the page updates on pushes). */
async function waitForText(page: Page, selector: string, check: (text: string) => boolean, ms = 30_000) {
  const deadline = Date.now() + ms;
  let text = "";
  while (Date.now() < deadline) {
    text = await textOf(page, selector).catch(() => "");
    if (check(text)) return text;
    await page.waitForTimeout(100);
  }
  assert.fail(`${selector} never showed what was expected; last: "${text}"`);
}

const cardNumber = (text: string) => Number(text.replace(/[^\d.]/g, ""));

describe("the dashboard in a real browser, against a real server and real Locust", { timeout: 240_000 }, () => {
  let target: TargetApp;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  let dir: string;
  const api = () => restClient(server.url);

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.setDefaultTimeout(20_000);
    errors = pageErrors(page);
    dir = mkdtempSync(join(tmpdir(), "loadmgr-web-"));
  });
  after(async () => {
    await browser.close();
    await server.close();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("signs in, refuses a bad test with the API's message next to the field, and creates a good one", async () => {
    await page.goto(server.url);
    await page.locator('input[name="token"]').fill("not-the-token");
    await page.locator('input[name="accountId"]').fill("acme");
    await page.locator('input[name="orgId"]').fill("web");
    await page.locator('input[name="projectId"]').fill("shop");
    await page.getByRole("button", { name: "Sign in" }).click();
    await waitForText(page, '[data-field="token"] .field-error', (t) => /does not accept this token/.test(t));
    await page.locator('input[name="token"]').fill(ADMIN_TOKEN);
    await screenshot(page, "01-sign-in");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.getByText("No load tests in this scope yet").waitFor();

    await page.getByRole("link", { name: "New test" }).click();
    await page.locator('input[name="name"]').fill("Shop browse");
    await page.locator('input[name="targetUrl"]').fill("ftp://not-http");
    await page.locator('input[name="tags"]').fill("shop, smoke");
    await page.locator('input[name="defaultUsers"]').fill("4");
    await page.locator('input[name="defaultSpawnRate"]').fill("4");
    await page.locator('input[name="defaultDurationSec"]').fill("0");
    const script = join(dir, "locustfile.py");
    writeFileSync(script, locustScript("/api/products?ms=15", 0.1));
    await page.locator('input[type="file"]').setInputFiles(script);
    await waitForText(page, ".cm-content", (t) => t.includes("/api/products?ms=15"));
    await page.getByRole("button", { name: "Create test" }).click();
    // Every field the API refused says why, next to it; nothing is created.
    await waitForText(page, '[data-field="targetUrl"] .field-error', (t) => /http/.test(t));
    assert.match(await textOf(page, '[data-field="defaultDurationSec"] .field-error'), /at least 1/);
    assert.equal((await api().get<ListPage<LoadTest>>("/v1/load-tests")).body.items.length, 0);
    await screenshot(page, "03-test-form-errors");

    await page.locator('input[name="targetUrl"]').fill(target.url);
    await page.locator('input[name="defaultDurationSec"]').fill("20");
    await page.getByRole("button", { name: "Create test" }).click();
    await page.getByRole("heading", { name: "Shop browse", level: 1 }).waitFor();
    const [test] = (await api().get<ListPage<LoadTest>>("/v1/load-tests")).body.items;
    assert.equal(test?.name, "Shop browse");
    assert.deepEqual(test.tags, ["shop", "smoke"]);
    assert.equal(test.defaultDurationSec, 20);
    assert.match(page.url(), new RegExp(`#/tests/${test.id}$`));
  });

  it("saves an edited script as revision 2 and shows the two side by side", async () => {
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\n# browse more slowly next time\n");
    await page.locator('input[name="description"]').fill("a note for later");
    await page.getByRole("button", { name: "Save as new revision" }).click();
    await page.getByRole("heading", { name: "Project · revision 2" }).waitFor();
    await page.locator(".diff-add", { hasText: "# browse more slowly next time" }).waitFor();
    assert.match(await textOf(page, ".diff"), /revision 1.*revision 2/s);
    // At tablet width both revisions show, each in its half (the new one was once a sliver off to the right).
    await page.setViewportSize({ width: 820, height: 1180 });
    const box = await page.locator(".diff .table-wrap").boundingBox();
    const added = await page.locator(".diff-add").first().boundingBox();
    const removedOrKept = await page.locator(".diff-table tbody tr td:nth-child(2)").first().boundingBox();
    assert.ok(box !== null && added !== null && removedOrKept !== null);
    assert.ok(added.x >= box.x + box.width * 0.45, `the new revision starts at ${added.x} in ${JSON.stringify(box)}`);
    assert.ok(
      added.x + added.width <= box.x + box.width + 1,
      `the new revision ends past the box: ${JSON.stringify(added)}`,
    );
    assert.ok(removedOrKept.x + removedOrKept.width <= box.x + box.width * 0.55, "the old revision keeps to its half");
    await page.setViewportSize({ width: 1366, height: 900 });
    await page.getByRole("cell", { name: "a note for later" }).waitFor();
    await screenshot(page, "04-test-detail");
  });

  it("starts a run from the form, shows it move live, stops it, and ends on the API's own figures", async () => {
    await page.locator('form.run-form input[name="durationSec"]').fill("60");
    // A threshold that does not parse is refused next to the box (the API names its line), and no run starts.
    await page.locator('form.run-form textarea[name="thresholds"]').fill("p95<5000\np97<300");
    await page.getByRole("button", { name: "Start run" }).click();
    await waitForText(page, '[data-field="thresholds"] .field-error', (t) => /unknown metric "p97"/.test(t));
    assert.equal((await api().get<ListPage<LoadTestRun>>("/v1/runs")).body.items.length, 0);
    await page.locator('form.run-form textarea[name="thresholds"]').fill("p95<5000\nerror_rate<50%");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\//);
    const runId = decodeURIComponent(page.url().split("#/runs/")[1] ?? "");

    // The cards and the charts move as snapshots arrive (pushed, not polled).
    const first = cardNumber(
      await waitForText(page, '[data-card="Total requests"] .card-value', (t) => cardNumber(t) > 0),
    );
    const points = async () => Number(await page.locator(".chart-plot").first().getAttribute("data-points"));
    const pointsBefore = await points();
    await waitForText(page, '[data-card="Total requests"] .card-value', (t) => cardNumber(t) > first);
    const deadline = Date.now() + 20_000;
    while ((await points()) < pointsBefore + 2 && Date.now() < deadline) await page.waitForTimeout(100);
    assert.ok((await points()) >= pointsBefore + 2, "the chart gained points");
    await page.locator(".badge.live-dot").waitFor();
    await page.locator("table.endpoints tbody tr").first().waitFor();
    await screenshot(page, "05-run-live");

    // The tab is named after the run.
    const live = (await api().get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    assert.equal(await page.title(), `${live.name} · Load Manager`);
    // The breadcrumb names the run's test and leads to it.
    const ofRun = (await api().get<LoadTest>(`/v1/load-tests/${live.loadTestId}`)).body;
    const crumb = page.locator(".crumbs a", { hasText: ofRun.name });
    await crumb.waitFor();
    assert.equal(await crumb.getAttribute("href"), `#/tests/${ofRun.id}`);
    // Steer it, as in Locust's own UI: more users from now on, stored on the run and marked on its charts.
    await page.locator("form.steer input").fill(String(live.targetUsers + 1));
    await page.getByRole("button", { name: "Change", exact: true }).click();
    await page
      .locator(".chart-marks li", { hasText: `→ ${live.targetUsers + 1} users` })
      .first()
      .waitFor();
    const steered = (await api().get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    assert.deepEqual(
      steered.loadChanges.map((c) => c.targetUsers),
      [live.targetUsers + 1],
    );
    // Stop asks first; "Keep running" changes nothing.
    await page.getByRole("button", { name: "Stop run" }).click();
    await page.getByRole("button", { name: "Keep running" }).click();
    await page.getByRole("button", { name: "Stop run" }).click();
    assert.equal((await api().get<LoadTestRun>(`/v1/runs/${runId}`)).body.status, "Running");
    await page.getByRole("button", { name: "Yes, stop it" }).click();
    await page.locator('.run-page[data-status="Stopped"]').waitFor({ timeout: 30_000 });
    // Once stopped, every figure shown is the API's, to the precision shown.
    const summary = (await api().get<RunSummary>(`/v1/runs/${runId}/summary`)).body;
    const requests = (await api().get<RequestStats>(`/v1/runs/${runId}/requests`)).body;
    await waitForText(page, '[data-card="Total requests"] .card-value', (t) => t === grouped(summary.totalRequests));
    assert.equal(
      await textOf(page, '[data-card="Error rate"] .card-value'),
      `${summary.errorRatePercent.toFixed(2)} %`,
    );
    assert.equal(await textOf(page, '[data-card="Requests/s"] .card-value'), `${summary.requestsPerSec.toFixed(1)}/s`);
    const footer = await page.locator("table.endpoints tfoot td").allTextContents();
    assert.equal(footer[1], grouped(requests.total.numRequests));
    assert.equal(footer[2], grouped(requests.total.numFailures));
    // Sortable from the keyboard: by failures, most first.
    await page.getByRole("button", { name: "Failures" }).focus();
    await page.keyboard.press("Enter");
    assert.equal(await page.locator('th[aria-sort="descending"]').textContent(), "Failures ▼");
    const firstRow = await page.locator("table.endpoints tbody tr").first().locator("td").first().textContent();
    assert.equal(firstRow, "GET /fail");
    assert.match(await textOf(page, "#failures-title + .table-wrap"), /GET \/fail/);
    // The thresholds were judged when it stopped.
    const run = (await api().get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    assert.equal(run.verdict?.passed, true);
    assert.match(await textOf(page, ".verdict"), /p95<5000.*error_rate<50%/s);
    assert.ok((await page.locator("#log-title").locator("xpath=../..").locator("tbody tr").count()) > 0);
    await screenshot(page, "06-run-stopped");

    // An endpoint's own page, from its row: percentiles over time and the distribution, as the API has them.
    await page.locator("table.endpoints tbody tr").first().getByRole("link").click();
    await page.waitForURL(/#\/runs\/[^/]+\/endpoint\?name=%2Ffail$/);
    await page.locator(".endpoint-page table.percentiles tbody tr").first().waitFor();
    assert.equal(await textOf(page, ".endpoint-page h1"), "/fail");
    const own = (await api().get<Aggregate>(`/v1/runs/${runId}/metrics/aggregate?name=/fail`)).body.total;
    const graph = (await api().get<Graph>(`/v1/runs/${runId}/graph?name=/fail&maxPoints=500`)).body;
    const scatter = (await api().get<Scatter>(`/v1/runs/${runId}/metrics/scatter?name=/fail&maxColumns=1`)).body;
    assert.equal(await textOf(page, '[data-card="Median"] .card-value'), ms(own.p50ResponseMs));
    assert.equal(await textOf(page, '[data-card="p95"] .card-value'), ms(own.p95ResponseMs));
    assert.equal(
      Number(await page.locator(".endpoint-page .chart-plot").getAttribute("data-points")),
      graph.points.length,
    );
    assert.ok(graph.points.length > 0);
    assert.equal(await page.locator(".distribution rect").count(), scatter.distribution.length);
    const table = await page.locator("table.percentiles tbody tr").allTextContents();
    assert.equal(table[0], `50 %${ms(own.p50ResponseMs)}`);
    // 100 % is the slowest bucket, as in Locust's table (its max is the exact time, e.g. 3.4 ms in the 3 ms bucket).
    assert.equal(table.at(-1), `100 %${ms(Math.max(...scatter.distribution.map((d) => d.responseMs)))}`);
    await screenshot(page, "06b-endpoint");
    await page.locator(".endpoint-page .crumbs a").click();
    await page.locator(`.run-page[data-status="Stopped"]`).waitFor();

    // Locust's own files, collected as its master ended (a moment after the run's end): listed, and
    // each saved as the server keeps it.
    const statsFile = page.locator('[data-testid="locust-files"] button', { hasText: "locust_stats.csv" });
    await statsFile.waitFor({ timeout: 60_000 });
    const [saved] = await Promise.all([page.waitForEvent("download"), statsFile.click()]);
    assert.equal(saved.suggestedFilename(), `run-${runId}-locust_stats.csv`);
    assert.equal(readFileSync(await saved.path(), "utf-8"), await collectedFile(server.url, runId, "locust_stats.csv"));
    assert.match(readFileSync(await saved.path(), "utf-8"), /^"?Type"?,"?Name"?/);

    // Charts redraw in the theme switched to, at once (they once kept the light theme's gridlines).
    const gridColors = (): Promise<{ theme: string; charts: string[] }> =>
      // A string, not a function: the test's compiled helpers do not exist in the page.
      page.evaluate(`({
        theme: getComputedStyle(document.documentElement).getPropertyValue("--grid").trim(),
        charts: [...document.querySelectorAll(".chart-plot")].map((c) => c.dataset.grid || ""),
      })`);
    const light = await gridColors();
    await page.getByRole("button", { name: "Switch to dark theme" }).click();
    await page.locator('html[data-theme="dark"]').waitFor({ state: "attached" });
    let dark = await gridColors();
    for (let tries = 0; tries < 50 && !dark.charts.every((c) => c === dark.theme); tries++) {
      await page.waitForTimeout(100);
      dark = await gridColors();
    }
    assert.notEqual(dark.theme, light.theme);
    assert.ok(dark.charts.length > 0, "the run page shows charts");
    assert.deepEqual(
      dark.charts,
      dark.charts.map(() => dark.theme),
      "every chart drawn with the dark theme's gridlines",
    );
    assert.ok(light.charts.length > 0 && light.charts.every((c) => c === light.theme), JSON.stringify(light));
    await screenshot(page, "07-run-stopped-dark");
    await page.getByRole("button", { name: "Switch to light theme" }).click();

    // The time axis reads clock time as the rest of the page writes it (never "12/7/26 7:30am" or
    // ":15.500"), and on a phone its labels keep their distance.
    const axisLabels = async () => {
      const plot = page.locator(".run-page .chart-plot").first();
      const labels = ((await plot.getAttribute("data-x-labels")) ?? "").split(" | ").filter((l) => l !== "");
      return { labels, width: (await plot.boundingBox())?.width ?? 0 };
    };
    const wide = await axisLabels();
    assert.ok(wide.labels.length >= 2, JSON.stringify(wide));
    assert.match(wide.labels[0] ?? "", /^\d\d:\d\d(:\d\d)? \d{4}-\d\d-\d\d$/);
    for (const label of wide.labels.slice(1)) assert.match(label, /^\d\d:\d\d(:\d\d)?( \d{4}-\d\d-\d\d)?$/);
    await page.setViewportSize({ width: 390, height: 844 });
    let phone = await axisLabels();
    for (let tries = 0; tries < 50 && phone.width > 380; tries++) {
      await page.waitForTimeout(100);
      phone = await axisLabels();
    }
    assert.ok(
      phone.labels.length >= 1 && phone.labels.length <= Math.floor(phone.width / 72) + 1,
      JSON.stringify(phone),
    );
    await screenshot(page, "08-run-phone");

    await page.setViewportSize({ width: 820, height: 1180 });
    await screenshot(page, "08-run-tablet");
    await page.setViewportSize({ width: 1366, height: 900 });
  });

  it("compares two runs, and lists the test with its last run and trend", async () => {
    const [test] = (await api().get<ListPage<LoadTest>>("/v1/load-tests")).body.items;
    assert.ok(test !== undefined);
    const second = await startRun(api(), test.id, { durationSec: 4, name: "short run" });
    await waitForRun(api(), second.id, ended, 60_000);
    await page.goto(`${server.url}/#/tests/${test.id}`);
    const boxes = page.locator("table.runs tbody input[type=checkbox]");
    await boxes.nth(0).check();
    await boxes.nth(1).check();
    await page.getByRole("link", { name: "Compare the two runs" }).click();
    await page.locator("table.compare tbody tr").first().waitFor();
    const endpoints = await page.locator("table.compare tbody tr td:first-child").allTextContents();
    assert.deepEqual(endpoints, ["GET /api/products?ms=15", "GET /fail", "Aggregated"]);

    await page.goto(`${server.url}/#/`);
    await page.locator(`tr[data-test-id="${test.id}"] .badge`).waitFor();
    assert.equal(await textOf(page, `tr[data-test-id="${test.id}"] .badge`), "Finished");
    await page.locator(`tr[data-test-id="${test.id}"] svg.sparkline`).waitFor();
    await page.locator('input[name="search"]').fill("no such test");
    await page.getByText("Nothing matches").waitFor();
    await page.locator('input[name="search"]').fill("shop");
    await page.locator(`tr[data-test-id="${test.id}"]`).waitFor();
    await screenshot(page, "02-tests-list");
    assert.deepEqual(errors, []);
  });

  it("edits the definition: a bad value is refused at its field and changes nothing, a good one is saved", async () => {
    const [listed] = (await api().get<ListPage<LoadTest>>("/v1/load-tests")).body.items;
    assert.ok(listed !== undefined);
    const before = (await api().get<LoadTest>(`/v1/load-tests/${listed.id}`)).body;
    await page.goto(`${server.url}/#/tests/${before.id}`);
    await page.getByRole("link", { name: "Edit definition" }).click();
    await page.getByRole("heading", { name: `Edit ${before.name}` }).waitFor();
    assert.equal(await page.locator('input[name="defaultUsers"]').inputValue(), String(before.defaultUsers));

    await page.locator('textarea[name="description"]').fill("Browse the catalogue");
    await page.locator('input[name="defaultUsers"]').fill("0");
    await page.getByRole("button", { name: "Save changes" }).click();
    await waitForText(page, '[data-field="defaultUsers"] .field-error', (t) => t === "must be at least 1");
    assert.deepEqual((await api().get<LoadTest>(`/v1/load-tests/${before.id}`)).body, before);

    await page.locator('input[name="defaultUsers"]').fill("6");
    await page.locator('input[name="tags"]').fill("shop, nightly");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name: before.name, level: 1, exact: true }).waitFor();
    const after = (await api().get<LoadTest>(`/v1/load-tests/${before.id}`)).body;
    assert.deepEqual(
      [after.description, after.defaultUsers, after.tags, after.latestRevisionNumber],
      ["Browse the catalogue", 6, ["shop", "nightly"], before.latestRevisionNumber],
    );
    // The Run form starts from the new default.
    assert.equal(await page.locator('form.run-form input[name="targetUsers"]').inputValue(), "6");
    assert.deepEqual(errors, []);
  });
});

describe("a run page riding out a server restart", { timeout: 90_000 }, () => {
  it("shows reconnecting, then continues without gaps or repeats", async () => {
    const port = await freePort();
    const first = await startTestServer({ server: { port } }, { keepData: true });
    const browser = await launchBrowser();
    let second: TestServer | undefined;
    try {
      const api = restClient(first.url);
      const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
      const run = await startRun(api, test.id);
      for (const seq of [1, 2]) await pusher(first, run.id).metrics(seq);
      const page = await browser.newPage();
      await page.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
      await page.goto(`${first.url}/#/runs/${run.id}`);
      const seqs = () => page.locator(".charts").getAttribute("data-seqs");
      const waitForSeqs = async (expected: string, ms = 20_000) => {
        const deadline = Date.now() + ms;
        while ((await seqs().catch(() => null)) !== expected && Date.now() < deadline) await page.waitForTimeout(100);
        assert.equal(await seqs(), expected);
      };
      await waitForSeqs("1,2");

      await first.close();
      await page.getByText("reconnecting…").waitFor({ timeout: 15_000 });
      await screenshot(page, "10-run-reconnecting");
      second = await startTestServer({ server: { port } }, { dataDir: first.dataDir });
      const push = pusher(second, run.id);
      await push.metrics(3).catch(() => push.metrics(3));
      await push.metrics(4);
      await waitForSeqs("1,2,3,4");
      await push.metrics(5);
      await waitForSeqs("1,2,3,4,5");
      assert.equal(await seqs(), "1,2,3,4,5");
      await page.locator(".badge.live-dot").waitFor();
      assert.equal(await page.getByText("reconnecting…").count(), 0);
    } finally {
      await browser.close();
      await second?.close();
    }
  });
});
