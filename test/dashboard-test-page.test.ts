import assert from "node:assert/strict";
import { setTimeout as sleep } from "node:timers/promises";
import { after, afterEach, before, beforeEach, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { LoadTest, LoadTestRun, Page as ListPage, ScriptRevision } from "@loadmgr/shared";
import { decodeScript } from "@loadmgr/shared";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { pusher } from "./helpers/pusher.js";
import { createTest, SCOPE, startRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const SCRIPT =
  "from locust import HttpUser, task\n\nclass Shopper(HttpUser):\n    @task\n    def home(self):\n        self.client.get('/')\n";

/** Waits (at most 20 s, a loaded machine is slow) until `done` holds; the assertions after it say what did not. */
async function until(done: () => boolean): Promise<void> {
  for (const deadline = Date.now() + 20_000; !done() && Date.now() < deadline;) await sleep(50);
}

describe("a test's page: clone, delete, and nothing lost on leaving", { timeout: 120_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];
  const api = () => restClient(server.url);

  before(async () => {
    // No job worker: a run stays Pending (active) until the test pushes for it as Locust would.
    server = await startTestServer();
    browser = await launchBrowser();
  });
  // Each test in a page of its own: one left with unsaved edits would ask the next before it could leave.
  beforeEach(async () => {
    page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
    page.setDefaultTimeout(20_000);
    errors = pageErrors(page);
    await page.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
  });
  afterEach(() => page.close({ runBeforeUnload: false }));
  after(async () => {
    await browser.close();
    await server.close();
  });

  it("clones a test into a prefilled form, saved as a new test with the same script", async () => {
    const source = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Checkout", tags: ["pay"] });
    await page.goto(`${server.url}/#/tests/${source.id}`);
    await page.getByRole("link", { name: "Clone" }).click();
    await page.getByRole("heading", { name: "Copy of a load test" }).waitFor();
    assert.equal(await page.locator('input[name="name"]').inputValue(), "Checkout (copy)");
    assert.equal(await page.locator('input[name="tags"]').inputValue(), "pay");
    await page.locator(".cm-content", { hasText: "class Shopper" }).waitFor();
    await page.getByRole("button", { name: "Create test" }).click();
    await page.getByRole("heading", { name: "Checkout (copy)", level: 1 }).waitFor();
    const copy = (await api().get<ListPage<LoadTest>>("/v1/load-tests")).body.items.find(
      (t) => t.name === "Checkout (copy)",
    );
    assert.ok(copy !== undefined && copy.id !== source.id);
    assert.deepEqual(
      [copy.targetUrl, copy.tags, copy.defaultUsers],
      [source.targetUrl, source.tags, source.defaultUsers],
    );
    const script = (await api().get<ScriptRevision>(`/v1/load-tests/${copy.id}/script`)).body;
    assert.deepEqual(decodeScript(script.scriptContent), { ok: true, text: SCRIPT });
    assert.deepEqual(errors, []);
  });

  it("lays the test out in two columns at laptop width (Run form beside the runs), in one when narrower", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Layout" });
    await page.goto(`${server.url}/#/tests/${test.id}`);
    const form = page.locator(".run-form");
    const runs = page.locator("section", { has: page.locator("#runs-title") });
    await form.waitFor();
    const [f, r] = [await form.boundingBox(), await runs.boundingBox()];
    assert.ok(f !== null && r !== null);
    assert.ok(f.x >= r.x + r.width, `the Run form (${f.x}) is right of the runs (${r.x}+${r.width})`);
    assert.ok(Math.abs(f.y - r.y) < 5, "side by side, level at the top");
    await page.setViewportSize({ width: 820, height: 1180 });
    const [f2, r2] = [await form.boundingBox(), await runs.boundingBox()];
    assert.ok(f2 !== null && r2 !== null && f2.y + f2.height <= r2.y, "one column: the Run form above the runs");
  });

  it("deletes a test after asking, and shows the API's refusal while a run is active", async () => {
    const doomed = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Doomed" });
    const run = await startRun(api(), doomed.id);
    await page.goto(`${server.url}/#/tests/${doomed.id}`);
    await page.getByRole("heading", { name: "Doomed", level: 1 }).waitFor();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByText("Delete it with its 1 runs and their metrics?").waitFor();
    await page.getByRole("button", { name: "Keep it" }).click();
    assert.equal((await api().get(`/v1/load-tests/${doomed.id}`)).status, 200);
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete it" }).click();
    // Its run is Pending: the API refuses (409), the page says why, the test stays.
    await page.locator(".test-actions .form-error", { hasText: "Not deleted" }).waitFor();
    assert.match((await page.locator(".test-actions .form-error").textContent()) ?? "", /active/);
    assert.equal((await api().get(`/v1/load-tests/${doomed.id}`)).status, 200);
    const locust = pusher(server, run.id);
    await locust.metrics(1);
    await locust.stop();
    await page.getByRole("button", { name: "Delete" }).click();
    await page.getByRole("button", { name: "Yes, delete it" }).click();
    await page.getByRole("heading", { name: "Load tests", level: 1 }).waitFor();
    assert.equal((await api().get(`/v1/load-tests/${doomed.id}`)).status, 404);
  });

  it("refuses a script that does not compile, marking its line in the editor; reports every bad field at once", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Syntax" });
    await page.goto(`${server.url}/#/tests/${test.id}`);
    await page.locator(".cm-content", { hasText: "class Shopper" }).waitFor();
    // The script ends with a newline: what is typed at its end starts on line 8.
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\ndef broken(:\n    pass\n");
    await page.getByRole("button", { name: "Save as new revision" }).click();
    const message = await page.locator(".panel .field-error").first().textContent();
    // The message names the file, line and column (the field is the box it shows under), not "scriptContent:".
    assert.match(message ?? "", /^locustfile\.py, line 8, column \d+: /);
    await page.locator('.cm-error-line[data-error-line="8"]').waitFor();
    assert.equal((await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body.latestRevisionNumber, 1);
    // Editing clears the mark.
    await page.locator(".cm-content").click();
    await page.keyboard.type("# fixing");
    await page.locator(".cm-error-line").waitFor({ state: "detached" });

    // The test form: a name missing and a default duration above the maximum, both said at once.
    page.once("dialog", (dialog) => void dialog.accept()); // leaving the unsaved edit
    await page.goto(`${server.url}/#/tests/new`);
    for (const key of ["accountId", "orgId", "projectId"]) await page.locator(`input[name="${key}"]`).fill("acme");
    await page.locator('input[name="targetUrl"]').fill("http://127.0.0.1:9");
    await page.locator('input[name="defaultDurationSec"]').fill("7200");
    await page.locator('input[name="maxDurationSec"]').fill("600");
    await page.getByRole("button", { name: "Create test" }).click();
    await page.locator('[data-field="name"] .field-error').waitFor();
    assert.equal(
      await page.locator('[data-field="defaultDurationSec"] .field-error').textContent(),
      "must be at most maxDurationSec (600)",
    );
  });

  it("uses the test's thresholds by default and judges them live: held, at risk, breached, with units", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, {
      name: "Judged",
      thresholds: ["p95<100", "p95<11", "rps>1000", "GET /nope:p99<5"],
    });
    await page.goto(`${server.url}/#/tests/${test.id}`);
    assert.equal(
      await page.locator('form.run-form textarea[name="thresholds"]').inputValue(),
      "p95<100\np95<11\nrps>1000\nGET /nope:p99<5",
    );
    assert.equal(
      await page.locator('[data-fact="thresholds"]').textContent(),
      "p95<100, p95<11, rps>1000, GET /nope:p99<5",
    );
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\//);
    const runId = decodeURIComponent(page.url().split("#/runs/")[1] ?? "");
    // Locust's reports: 10 requests a second, each taking 1…10 ms.
    const locust = pusher(server, runId);
    for (let seq = 1; seq <= 10; seq++) await locust.metrics(seq);
    const state = (threshold: string) =>
      page.locator(".live-thresholds li", { hasText: threshold }).first().getAttribute("data-state");
    await page.locator('.live-thresholds li[data-state="breached"]').waitFor();
    const deadline = Date.now() + 10_000;
    while ((await state("p95<11")) !== "at risk" && Date.now() < deadline) await page.waitForTimeout(100);
    assert.deepEqual(
      [await state("p95<100"), await state("p95<11"), await state("rps>1000"), await state("GET /nope:p99<5")],
      ["held", "at risk", "breached", "no data"],
    );
    assert.match(
      (await page.locator(".live-thresholds li", { hasText: "rps>1000" }).textContent()) ?? "",
      /now [\d.]+\/s/,
    );
    assert.match((await page.locator(".live-thresholds li", { hasText: "p95<100" }).textContent()) ?? "", /now 10 ms/);
    await screenshot(page, "21-thresholds-live");
    await locust.stop();
    // The verdict when it ends, each measured value in its unit.
    await page.locator(".verdict h2", { hasText: "Thresholds breached" }).waitFor();
    assert.match((await page.locator(".verdict").textContent()) ?? "", /p95<100 measured 10 ms/);
    const run = (await api().get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    assert.deepEqual(run.thresholds, ["p95<100", "p95<11", "rps>1000", "GET /nope:p99<5"]);
    assert.equal(run.verdict?.passed, false);
  });

  it("sets a test's auto-stop rule in its form: refused out of range at its field, off, or another limit", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Auto" });
    assert.deepEqual(test.autoStop, { errorRatePercent: 90, windowSec: 60, windowSeconds: 60 });
    await page.goto(`${server.url}/#/tests/${test.id}`);
    assert.equal(await page.locator('[data-fact="autoStop"]').textContent(), "above 90 % errors over 60 s");
    await page.getByRole("link", { name: "Edit definition" }).click();
    await page.locator('input[name="autoStopPercent"]').fill("150");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator('[data-field="autoStop"] .field-error').waitFor();
    assert.deepEqual((await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body.autoStop, test.autoStop);
    await page.locator('input[name="autoStopPercent"]').fill("50");
    await page.locator('input[name="autoStopSeconds"]').fill("30");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator('[data-fact="autoStop"]', { hasText: "above 50 % errors over 30 s" }).waitFor();
    await page.getByRole("link", { name: "Edit definition" }).click();
    await page.locator('input[name="autoStop"]').uncheck();
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator('[data-fact="autoStop"]', { hasText: "off" }).waitFor();
    assert.equal((await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body.autoStop, null);
    const run = await startRun(api(), test.id);
    assert.equal(run.autoStop, null);
  });

  it("shows why a run failed in one line first, Locust's output folded below it", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Fails" });
    const run = await startRun(api(), test.id);
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const res = await locust.post("/v1/internal/locust/test-stop", {
      runId: run.id,
      timestamp: Date.now(),
      reason: "error",
      message:
        "Locust exited with code 1: ModuleNotFoundError: No module named 'x'\nTraceback (most recent call last):\n  File \"locustfile.py\", line 1, in <module>\nModuleNotFoundError: No module named 'x'",
    });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    await page.goto(`${server.url}/#/runs/${run.id}`);
    await page.locator(".failure-cause").waitFor();
    assert.equal(
      await page.locator(".failure-cause").textContent(),
      "Locust exited with code 1: ModuleNotFoundError: No module named 'x'",
    );
    const details = page.locator(".failure-reason details");
    assert.equal(await details.getAttribute("open"), null, "folded");
    assert.equal(await details.locator("summary").textContent(), "Locust's output (3 lines)");
    assert.equal(await details.locator("pre").isVisible(), false);
    await details.locator("summary").click();
    assert.match((await details.locator("pre").textContent()) ?? "", /^Traceback/);
  });

  it("asks before leaving unsaved script edits or an unsaved new test, and keeps them when told to stay", async () => {
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Edited" });
    await page.goto(`${server.url}/#/tests/${test.id}`);
    await page.locator(".cm-content").click();
    await page.keyboard.press("Control+End");
    await page.keyboard.type("\n# half-way through a change\n");
    await page.getByText("unsaved changes").waitFor();

    const questions: string[] = [];
    let answer = false;
    page.on("dialog", (dialog) => {
      questions.push(`${dialog.type()}: ${dialog.message()}`);
      void (answer ? dialog.accept() : dialog.dismiss());
    });
    // Staying: the address and the edits are as they were.
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await until(() => questions.length === 1 && page.url().endsWith(`#/tests/${test.id}`));
    assert.deepEqual(questions, ["confirm: Leave this page? Your unsaved script edits will be lost."]);
    assert.match(page.url(), new RegExp(`#/tests/${test.id}$`));
    assert.match((await page.locator(".cm-content").textContent()) ?? "", /half-way through a change/);
    // Leaving: it asks once more, then goes.
    answer = true;
    await page.getByRole("link", { name: "Runs", exact: true }).click();
    await page.getByRole("heading", { name: "Runs", level: 1 }).waitFor();
    assert.equal(questions.length, 2, JSON.stringify(questions));
    assert.equal((await api().get<LoadTest>(`/v1/load-tests/${test.id}`)).body.latestRevisionNumber, 1);

    // A new test's form: nothing typed, nothing asked; something typed, asked.
    await page.goto(`${server.url}/#/tests/new`);
    await page.getByRole("link", { name: "Cancel" }).click();
    await page.getByRole("heading", { name: "Load tests", level: 1 }).waitFor();
    assert.equal(questions.length, 2);
    await page.goto(`${server.url}/#/tests/new`);
    await page.locator('input[name="name"]').fill("Half typed");
    answer = false;
    await page.getByRole("link", { name: "Cancel" }).click();
    await until(() => questions.length === 3 && page.url().endsWith("#/tests/new"));
    assert.equal(questions.at(-1), "confirm: Leave this page? Your unsaved new test will be lost.");
    assert.equal(await page.locator('input[name="name"]').inputValue(), "Half typed");
    // Reloading the tab asks too (the browser's own question).
    const reloaded = page.reload({ waitUntil: "commit" }).catch(() => undefined);
    await until(() => questions.length === 4);
    assert.equal(questions.at(-1), "beforeunload: ");
    await reloaded;
    // Saving is no leaving: it goes to the new test without a question.
    answer = true;
    await page.goto(`${server.url}/#/tests/new`);
    await page.locator('input[name="name"]').fill("Saved at once");
    await page.locator('input[name="targetUrl"]').fill("http://127.0.0.1:9");
    for (const key of ["accountId", "orgId", "projectId"]) await page.locator(`input[name="${key}"]`).fill("acme");
    const asked = questions.length;
    await page.getByRole("button", { name: "Create test" }).click();
    await page.getByRole("heading", { name: "Saved at once", level: 1 }).waitFor();
    assert.equal(questions.length, asked);
    assert.deepEqual(errors, []);
  });
  it("shows a run split over regions: each region's figures beside the whole run's, and one region's endpoints", async () => {
    const pool = await api().post<{ id: string }>("/v1/agent-pools", { name: "regional", ...SCOPE });
    assert.equal(pool.status, 201, JSON.stringify(pool.body));
    const test = await createTest(api(), "http://127.0.0.1:9", SCRIPT, { name: "Regional", agentPool: pool.body.id });
    const regions = [
      { name: "eu", share: 60 },
      { name: "us", share: 40 },
    ];
    // From the Run form: shares that do not add up are refused at the field, and no run starts.
    await page.goto(`${server.url}/#/tests/${test.id}`);
    await page.locator('form.run-form input[name="workers"]').fill("5");
    await page.locator('form.run-form input[name="regions"]').fill("eu=60, us=30");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.locator('[data-field="regions"] .field-error', { hasText: "add up to 90" }).waitFor();
    assert.equal((await api().get<ListPage<LoadTestRun>>(`/v1/runs?loadTestId=${test.id}`)).body.items.length, 0);
    await page.locator('form.run-form input[name="regions"]').fill("eu=60, us=40");
    await page.getByRole("button", { name: "Start run" }).click();
    await page.waitForURL(/#\/runs\//);
    const run = (await api().get<LoadTestRun>(`/v1/runs/${decodeURIComponent(page.url().split("#/runs/")[1] ?? "")}`))
      .body;
    assert.deepEqual([run.workers, run.regions], [5, regions]);
    // As the plugin sends them: each region's part of the same seconds (eu 7 of each 10 GETs, us 3).
    const locust = pusher(server, run.id);
    for (let seq = 1; seq <= 3; seq++) {
      const part = (n: number) => [
        {
          method: "GET",
          name: "/",
          requests: n,
          failures: 0,
          sumResponseMs: n * seq,
          minResponseMs: seq,
          maxResponseMs: seq,
          histogram: [[seq, n]] as [number, number][],
        },
      ];
      await locust.metrics(seq, {
        regions: [
          { region: "eu", users: 3, endpoints: part(7) },
          { region: "us", users: 2, endpoints: part(3) },
        ],
      });
    }
    const rows = page.locator('table[data-testid="regions"] tbody tr');
    // The page follows the run live: wait for it to show all three seconds (the whole run's 30 GETs),
    // not only the first of them (a busy CI once read eu's 14 of 21).
    await page.locator('table[data-testid="regions"] tfoot td', { hasText: /^30$/ }).waitFor();
    const cells = async (i: number) => (await rows.nth(i).locator("td").allTextContents()).slice(0, 5);
    assert.deepEqual(await cells(0), ["eu", "60 %", "0", "3", "21"]);
    assert.deepEqual(await cells(1), ["us", "40 %", "0", "2", "9"]);
    const whole = await page.locator('table[data-testid="regions"] tfoot td').allTextContents();
    assert.deepEqual([whole[0], whole[4]], ["Whole run", "30"]);
    await screenshot(page, "32-run-regions");
    // The endpoints of one region, then of the whole run again.
    const requestsOfGet = () => page.locator("table.endpoints tbody tr").first().locator("td").nth(1).textContent();
    assert.equal(await requestsOfGet(), "30");
    await page.getByLabel("Endpoints of").selectOption("us");
    await page.locator("table.endpoints tfoot td", { hasText: /^9$/ }).first().waitFor();
    assert.equal(await requestsOfGet(), "9");
    await page.getByLabel("Endpoints of").selectOption("");
    await page.locator("table.endpoints tfoot td", { hasText: /^30$/ }).first().waitFor();
    assert.deepEqual(errors, []);
  });
});
