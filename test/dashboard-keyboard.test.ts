import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import type { LoadTest, Page as ListPage } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

interface Focused {
  /** The control's name attribute, or its aria-label, or its text. */
  name: string;
  outline: string;
}

// A string, not a function: the test's compiled helpers do not exist in the page.
const FOCUSED = `(() => {
  const e = document.activeElement;
  if (e === null || e === document.body) return { name: "", outline: "none" };
  const name = e.getAttribute("name") || e.getAttribute("aria-label") || (e.textContent || "").trim();
  return { name, outline: getComputedStyle(e).outlineStyle };
})()`;

const focused = (page: Page) => page.evaluate<Focused>(FOCUSED);

/**
 * Presses Tab (Shift+Tab when `back`) until the control named `name` has the focus, and checks that
 * the focus is drawn; fails if `max` presses do not get there. Returns how many presses it took.
 */
async function tabTo(page: Page, name: string, { max = 40, back = false } = {}): Promise<number> {
  const seen: string[] = [];
  for (let presses = 1; presses <= max; presses++) {
    await page.keyboard.press(back ? "Shift+Tab" : "Tab");
    const now = await focused(page);
    if (now.name === name) {
      assert.notEqual(now.outline, "none", `the focus on "${name}" is visible`);
      return presses;
    }
    seen.push(now.name);
  }
  return assert.fail(`Tab never reached "${name}"; it went through: ${seen.join(" → ")}`);
}

/** Replaces the focused field's text by typing, as a keyboard user does. */
async function retype(page: Page, text: string): Promise<void> {
  await page.keyboard.press("Control+A");
  await page.keyboard.type(text);
}

/** The page fits the viewport's width: nothing scrolls sideways except tables in their own box. */
async function fitsWidth(page: Page): Promise<void> {
  const [content, viewport] = await page.evaluate<[number, number]>(
    "[document.documentElement.scrollWidth, window.innerWidth]",
  );
  assert.ok(content <= viewport, `the page is ${content} px wide in a ${viewport} px viewport`);
}

describe("the dashboard by keyboard alone, at tablet width", { timeout: 180_000 }, () => {
  let target: TargetApp;
  let server: TestServer;
  let browser: Browser;
  let page: Page;
  let errors: string[];

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 820, height: 1180 } });
    page.setDefaultTimeout(20_000);
    errors = pageErrors(page);
  });
  after(async () => {
    await browser.close();
    await server.close();
    await target.close();
  });

  it("signs in, creates a test, starts a run and stops it without a mouse", async () => {
    await page.goto(server.url);
    await tabTo(page, "token");
    await page.keyboard.type(ADMIN_TOKEN);
    for (const [field, value] of [
      ["accountId", "kb"],
      ["orgId", "web"],
      ["projectId", "shop"],
    ] as const) {
      await tabTo(page, field);
      await page.keyboard.type(value);
    }
    await page.keyboard.press("Enter");
    await page.getByText("No load tests in this scope yet").waitFor();
    await fitsWidth(page);

    // The first Tab offers the skip link; it keeps the page and puts the next Tab on the page's first control.
    assert.equal(await tabTo(page, "Skip to content", { max: 1 }), 1);
    const listUrl = page.url();
    await page.keyboard.press("Enter");
    assert.equal(page.url(), listUrl);
    assert.equal(await tabTo(page, "New test", { max: 1 }), 1);
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "New load test" }).waitFor();

    await tabTo(page, "name");
    await page.keyboard.type("Keyboard walk");
    await tabTo(page, "targetUrl");
    await page.keyboard.type(target.url);
    for (const [field, value] of [
      ["defaultUsers", "2"],
      ["defaultSpawnRate", "2"],
      ["defaultDurationSec", "60"],
    ] as const) {
      await tabTo(page, field);
      await retype(page, value);
    }
    await fitsWidth(page);
    await screenshot(page, "11-test-form-tablet");
    // On through the script editor (Tab leaves it) to the button.
    await tabTo(page, "Create test");
    await page.keyboard.press("Enter");
    await page.getByRole("heading", { name: "Keyboard walk", level: 1 }).waitFor();
    const [test] = (await restClient(server.url).get<ListPage<LoadTest>>("/v1/load-tests")).body.items;
    assert.equal(test?.name, "Keyboard walk");
    assert.equal(test.targetUrl, target.url);
    assert.equal(test.defaultUsers, 2);

    await tabTo(page, "durationSec");
    await retype(page, "45");
    await tabTo(page, "Start run");
    await page.keyboard.press("Enter");
    await page.waitForURL(/#\/runs\//);
    await page.locator(".badge.live-dot").waitFor({ timeout: 30_000 });
    await page.locator("table.endpoints tbody tr").first().waitFor({ timeout: 30_000 });

    await tabTo(page, "Stop run");
    await page.keyboard.press("Enter");
    // The question takes the focus: a second Enter confirms.
    assert.equal((await focused(page)).name, "Yes, stop it");
    await page.keyboard.press("Enter");
    await page.locator('.run-page[data-status="Stopped"]').waitFor({ timeout: 30_000 });
    const runId = decodeURIComponent(page.url().split("#/runs/")[1] ?? "");
    const run = (await restClient(server.url).get<{ status: string; durationSec: number }>(`/v1/runs/${runId}`)).body;
    assert.deepEqual([run.status, run.durationSec], ["Stopped", 45]);

    // A toggle answers Space as well as Enter.
    await tabTo(page, "Pause");
    await page.keyboard.press("Space");
    assert.equal(await page.getByRole("button", { name: "Resume" }).getAttribute("aria-pressed"), "true");
    await fitsWidth(page);

    // Back up the page to the theme switch in the header.
    await tabTo(page, "Switch to dark theme", { back: true, max: 60 });
    await page.keyboard.press("Enter");
    await page.locator('html[data-theme="dark"]').waitFor({ state: "attached" });
    await page.keyboard.press("Enter");
    await page.locator('html[data-theme="light"]').waitFor({ state: "attached" });
  });

  it("shows the list and the test page at tablet width", async () => {
    await page.goto(`${server.url}/#/`);
    await page.locator("table tbody tr").first().waitFor();
    await fitsWidth(page);
    await screenshot(page, "12-tests-list-tablet");
    await page.getByRole("link", { name: "Keyboard walk" }).click();
    await page.locator("table.runs tbody tr").first().waitFor();
    await fitsWidth(page);
    await screenshot(page, "13-test-detail-tablet");
    assert.deepEqual(errors, []);
  });
});
