import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { LoadTest, LoadTestRun } from "@loadmgr/shared";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { pusher } from "./helpers/pusher.js";
import { createTest, ended, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";
import { freePort } from "./helpers/ports.js";

/** The run ids of the runs page's rows, top to bottom. */
const rowIds = async (page: Page): Promise<(string | null)[]> => {
  const rows = page.locator("table.all-runs tbody tr");
  return Promise.all((await rows.all()).map((row) => row.getAttribute("data-run-id")));
};

/** Waits until the runs page shows `n` rows (the page's CSP allows no string-eval to wait in it). */
async function rowsShown(page: Page, n: number): Promise<void> {
  const rows = page.locator("table.all-runs tbody tr");
  const deadline = Date.now() + 20_000;
  while ((await rows.count()) !== n && Date.now() < deadline) await page.waitForTimeout(100);
  assert.equal(await rows.count(), n);
}

async function signedIn(browser: Browser, url: string, hash: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
  await page.goto(`${url}/${hash}`);
  return page;
}

describe("the runs page: every run in scope, filtered, paged, live", { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let checkout: LoadTest;
  let browse: LoadTest;
  /** Every run created, oldest first. */
  const runs: LoadTestRun[] = [];
  const api = () => restClient(server.url);

  before(async () => {
    // No job worker: runs stay Pending until the test pushes for them as Locust would.
    server = await startTestServer();
    browser = await launchBrowser();
    checkout = await createTest(api(), "http://127.0.0.1:9", "print('not run')\n", {
      name: "Checkout",
      tags: ["team-pay"],
      envId: "staging",
    });
    browse = await createTest(api(), "http://127.0.0.1:9", "print('not run')\n", {
      name: "Browse",
      tags: ["team-web"],
    });
    for (let i = 0; i < 52; i++) runs.push(await startRun(api(), (i % 4 === 0 ? checkout : browse).id));
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  it("lists the newest 50 across tests with their test, pages on to the rest and back, and names runs by number", async () => {
    const page = await signedIn(browser, server.url, "#/runs");
    const errors = pageErrors(page);
    await page.locator("table.all-runs tbody tr").first().waitFor();
    const newest = [...runs].reverse();
    assert.deepEqual(
      await rowIds(page),
      newest.slice(0, 50).map((r) => r.id),
    );
    assert.equal(await page.title(), "Runs · Load Manager");
    // Unnamed runs are named after their number within their test and when they were created.
    const last = newest[0];
    assert.ok(last !== undefined);
    assert.match(last.name, /^#39 · \d{1,2} [A-Z][a-z]{2} \d\d:\d\d$/);
    const row = page.locator(`tr[data-run-id="${last.id}"]`);
    assert.match((await row.textContent()) ?? "", /#39 · .*Browse/);
    assert.equal(await row.locator(`a[href="#/tests/${browse.id}"]`).count(), 1);

    await page.getByRole("button", { name: "Older →" }).click();
    await page.getByText("Runs 51–52").waitFor();
    assert.deepEqual(
      await rowIds(page),
      newest.slice(50).map((r) => r.id),
    );
    assert.ok(await page.getByRole("button", { name: "Older →" }).isDisabled());
    await page.getByRole("button", { name: "← Newer" }).click();
    await page.getByText("Runs 1–50").waitFor();
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("filters by test, tag, env, status and time, from links that keep the filters", async () => {
    const page = await signedIn(browser, server.url, "#/runs");
    await page.locator("table.all-runs tbody tr").first().waitFor();
    const ofCheckout = runs
      .filter((r) => r.loadTestId === checkout.id)
      .map((r) => r.id)
      .reverse();

    await page.locator('select[name="tag"]').selectOption("team-pay");
    await page.waitForURL(/#\/runs\?tag=team-pay$/);
    await rowsShown(page, ofCheckout.length);
    assert.deepEqual(await rowIds(page), ofCheckout);

    // The filtered page is a link: reloaded, it shows the same.
    await page.reload();
    await rowsShown(page, ofCheckout.length);
    assert.equal(await page.locator('select[name="tag"]').inputValue(), "team-pay");

    await page.goto(`${server.url}/#/runs?env=staging`);
    await rowsShown(page, ofCheckout.length);
    await page.goto(`${server.url}/#/runs?test=${browse.id}&since=1`);
    await rowsShown(page, 39);

    await page.goto(`${server.url}/#/runs?status=Failed`);
    await page.getByText("No runs match these filters").waitFor();
    await page.getByRole("link", { name: "Show every run" }).click();
    await rowsShown(page, 50);
    await page.close();
  });

  it("moves a status live, and shows a run whose every request failed as a failure, with its figures", async () => {
    const page = await signedIn(browser, server.url, "#/runs");
    const run = runs.at(-1);
    assert.ok(run !== undefined);
    const row = page.locator(`tr[data-run-id="${run.id}"]`);
    await row.waitFor();
    assert.equal(await row.getAttribute("data-status"), "Pending");
    // Locust's reports, as its plugin sends them: every request fails.
    const locust = pusher(server, run.id);
    const failing = (seq: number) => ({
      totalFailures: 10 * seq,
      endpoints: [
        {
          method: "GET",
          name: "/",
          requests: 10,
          failures: 10,
          sumResponseMs: 10,
          minResponseMs: 1,
          maxResponseMs: 1,
          histogram: [[1, 10]] as [number, number][],
        },
      ],
      errors: [
        { method: "GET", name: "/", error: "ConnectionRefusedError(111, 'Connection refused')", occurrences: 10 },
      ],
    });
    await locust.metrics(1, failing(1));
    await page.locator(`tr[data-run-id="${run.id}"][data-status="Running"]`).waitFor();
    await locust.metrics(2, failing(2));
    await locust.stop();
    await page.locator(`tr[data-run-id="${run.id}"][data-status="Finished"]`).waitFor();
    // Finished, yet every request failed: it reads as a failure, in the list and on its page.
    const stored = (await api().get<LoadTestRun>(`/v1/runs/${run.id}`)).body;
    assert.equal(stored.results?.totalRequests, 20);
    assert.equal(stored.results?.errorRatePercent, 100);
    await row.locator(".badge-warning").waitFor();
    assert.equal(
      await row.locator(".badge-warning").getAttribute("data-warning"),
      "Every request failed (100 % errors)",
    );
    assert.equal(await row.locator('[data-cell="errors"]').textContent(), "100.00 %");
    await screenshot(page, "17-runs");
    await page.goto(`${server.url}/#/runs/${run.id}`);
    await page.locator(".run-warning").getByText("Every request failed").waitFor();
    assert.match((await page.locator('[data-card="Error rate"]').getAttribute("class")) ?? "", /card-bad/);
    // The test list shows its last run as one, with when it ran.
    await page.goto(`${server.url}/#/`);
    const last = page.locator(`tr[data-test-id="${browse.id}"] .last-run`);
    await last.locator(".badge-warning").waitFor();
    assert.match((await last.textContent()) ?? "", /Finished/);
    await page.close();
  });
});

describe("a run against a target that is down, on real Locust", { timeout: 120_000 }, () => {
  it("ends with every request failed, and the API's results say so", async () => {
    const server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
    try {
      const api = restClient(server.url);
      // Nothing listens on this port: every request is refused.
      const down = `http://127.0.0.1:${await freePort()}`;
      const test = await createTest(
        api,
        down,
        "from locust import HttpUser, task, constant\n\nclass U(HttpUser):\n    wait_time = constant(0.2)\n\n    @task\n    def home(self):\n        self.client.get('/')\n",
      );
      const run = await startRun(api, test.id, { durationSec: 3 });
      const done = await waitForRun(api, run.id, ended, 90_000);
      assert.equal(done.status, "Finished", JSON.stringify(done));
      assert.ok((done.results?.totalRequests ?? 0) > 0, JSON.stringify(done.results));
      assert.equal(done.results?.totalFailures, done.results?.totalRequests);
      const listed = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.recentRuns[0];
      assert.equal(listed?.results?.errorRatePercent, 100);
      assert.equal(listed?.number, 1);

      // With an auto-stop rule of 90 % over 10 s, a 60 s run against it is stopped early, as Failed.
      const strict = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, {
        autoStop: { errorRatePercent: 90, windowSec: 10 },
      });
      assert.equal(strict.status, 200, JSON.stringify(strict.body));
      const long = await startRun(api, test.id, { durationSec: 60 });
      assert.deepEqual(long.autoStop, { errorRatePercent: 90, windowSec: 10, windowSeconds: 10 });
      const began = Date.now();
      const stopped = await waitForRun(api, long.id, ended, 90_000);
      assert.equal(stopped.status, "Failed", JSON.stringify(stopped));
      assert.match(
        stopped.failureReason ?? "",
        /^auto-stopped: 100\.0 % of requests failed over the last 1\d s \(the test stops a run above 90 % over 10 s\)$/,
      );
      assert.ok(Date.now() - began < 55_000, "stopped well before its 60 s");
      // The run page says so first.
      const browser = await launchBrowser();
      try {
        const page = await signedIn(browser, server.url, `#/runs/${long.id}`);
        await page.locator(".failure-cause").waitFor();
        assert.match((await page.locator(".failure-cause").textContent()) ?? "", /^auto-stopped: 100\.0 %/);
        await screenshot(page, "22-auto-stopped");
      } finally {
        await browser.close();
      }
    } finally {
      await server.close();
    }
  });
});
