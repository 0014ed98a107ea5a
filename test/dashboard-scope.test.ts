import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser, Page } from "playwright-core";
import { agentInstallCommands, encodeScript, type AgentPackage, type LoadTest } from "@loadmgr/shared";
import { launchBrowser, pageErrors, screenshot } from "./helpers/browser.js";
import { pusher } from "./helpers/pusher.js";
import { createTest, startRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const VIEWER = "shop-viewer-token-0123456789";

async function signedIn(browser: Browser, url: string, token: string, width = 1366): Promise<Page> {
  const page = await browser.newPage({ viewport: { width, height: 900 } });
  page.setDefaultTimeout(20_000);
  await page.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(token)})`);
  await page.goto(`${url}/#/`);
  return page;
}

/** Polls an expression in the page until it is true (waitForFunction's string form is blocked by the CSP). */
async function until(page: Page, expression: string, what: string, ms = 5000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await page.evaluate<boolean>(expression))) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The scope button's levels as shown: "Account acme", "Org any"… */
const levels = async (page: Page) =>
  (await page.locator(".scope-button .scope-level").allTextContents()).map((t) => t.replace(/\s+/g, " ").trim());

describe("the scope switcher, the API and CLI page, and small screens", { timeout: 180_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  const tests: Record<string, LoadTest> = {};
  const api = () => restClient(server.url);
  let agentToken = "";
  /** An agent of pool eu-gen calls in, as `loadmgr-locust agent --server` does (once: it holds nothing). */
  const agentCallsIn = async (): Promise<void> => {
    const synced = await fetch(`${server.url}/v1/internal/agents/sync`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${agentToken}` },
      body: JSON.stringify({
        name: "gen-1",
        instanceId: "instance-0001",
        capacity: 4,
        labels: { zone: "a" },
        version: "0.1.0",
        address: "10.0.0.5",
        runs: [],
        waitMs: 0,
      }),
    });
    assert.equal(synced.status, 200, await synced.text());
  };

  before(async () => {
    server = await startTestServer({
      security: {
        tokens: [
          { name: "shop-dash", token: VIEWER, role: "viewer", accountId: "acme", orgId: "web", projectId: "shop" },
        ],
      },
    });
    browser = await launchBrowser();
    const at = (accountId: string, orgId: string, projectId: string, envId?: string) => ({
      accountId,
      orgId,
      projectId,
      ...(envId !== undefined ? { envId } : {}),
    });
    for (const [name, scope] of [
      ["Shop browse", at("acme", "web", "shop")],
      ["Shop checkout", at("acme", "web", "shop", "prod")],
      ["Blog", at("acme", "web", "blog")],
      ["Globex", at("globex", "x", "y")],
    ] as const) {
      tests[name] = await createTest(api(), "http://127.0.0.1:9", "print('not run')\n", { name, ...scope });
    }
    // An agent pool with one agent that called in (as `loadmgr-locust agent --server` does).
    const pool = await api().post<{ token: string }>("/v1/agent-pools", {
      name: "eu-gen",
      ...at("acme", "web", "shop"),
    });
    agentToken = pool.body.token;
    await agentCallsIn();
    const run = await startRun(api(), tests["Shop checkout"]?.id ?? "");
    const locust = pusher(server, run.id);
    await locust.metrics(1);
    await locust.stop();
  });
  after(async () => {
    await browser.close();
    await server.close();
  });

  it("lists every scope in reach with counts, narrows the lists to the one picked, labels each level", async () => {
    const page = await signedIn(browser, server.url, ADMIN_TOKEN);
    const errors = pageErrors(page);
    await page.locator("tr[data-test-id]").first().waitFor();
    assert.deepEqual(await levels(page), ["Account any", "Org any", "Project any", "Env any"]);
    await page.getByRole("button", { name: /^Scope: Everything/ }).click();
    const panel = page.getByRole("dialog", { name: "Choose a scope" });
    await panel.locator(".scope-choice").first().waitFor();
    const choices = (await panel.locator(".scope-choice").allTextContents()).map((t) => t.replace(/\s+/g, " "));
    assert.deepEqual(choices, [
      "Everything4 tests · 1 runs",
      "acme3 tests · 1 runs",
      "acme / web3 tests · 1 runs",
      "acme / web / blog1 tests · 0 runs",
      "acme / web / shop2 tests · 1 runs",
      "env prod1 tests · 1 runs",
      "globex1 tests · 0 runs",
      "globex / x1 tests · 0 runs",
      "globex / x / y1 tests · 0 runs",
    ]);
    assert.match((await panel.textContent()) ?? "", /Signed in as admin \(admin\)/);
    await screenshot(page, "18-scope-switcher");
    await panel.getByRole("button", { name: /^acme \/ web \/ shop/ }).click();
    await page.locator(`tr[data-test-id="${tests.Blog?.id ?? ""}"]`).waitFor({ state: "detached" });
    const shown = await page.locator("tr[data-test-id] td:first-child a").allTextContents();
    assert.deepEqual(shown.sort(), ["Shop browse", "Shop checkout"]);
    assert.deepEqual(await levels(page), ["Account acme", "Org web", "Project shop", "Env any"]);
    // Kept across a reload.
    await page.reload();
    await page.locator("tr[data-test-id]").first().waitFor();
    assert.deepEqual(await levels(page), ["Account acme", "Org web", "Project shop", "Env any"]);
    // Escape closes the menu and gives the focus back to its button.
    await page.getByRole("button", { name: /^Scope: acme \/ web \/ shop/ }).click();
    await page.getByRole("dialog", { name: "Choose a scope" }).locator(".scope-choice").first().waitFor();
    // The focus is on the scope shown now (the list may be drawn from the last answer, then again).
    await until(
      page,
      "document.activeElement.getAttribute('aria-current') === 'true'",
      "the focus on the current scope",
    );
    await page.keyboard.press("Escape");
    await page.getByRole("dialog", { name: "Choose a scope" }).waitFor({ state: "detached" });
    assert.equal(await page.evaluate<string>("document.activeElement.getAttribute('aria-controls')"), "scope-panel");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("opens a new project only as typed on purpose, refusing what the API would refuse", async () => {
    const page = await signedIn(browser, server.url, ADMIN_TOKEN);
    await page.locator("tr[data-test-id]").first().waitFor();
    await page.locator(".scope-button").click();
    const panel = page.getByRole("dialog", { name: "Choose a scope" });
    await panel.locator('input[name="new-accountId"]').fill("acme");
    await panel.locator('input[name="new-orgId"]').fill("");
    await panel.locator('input[name="new-projectId"]').fill("new project");
    await panel.getByRole("button", { name: "Open the new project" }).click();
    // Every field that is wrong says so at once; the scope did not move.
    assert.equal(await panel.locator('[data-field="new-orgId"] .field-error').textContent(), "must not be empty");
    assert.equal(
      await panel.locator('[data-field="new-projectId"] .field-error').textContent(),
      "use letters, digits and . _ : @ - only",
    );
    assert.deepEqual(await levels(page), ["Account any", "Org any", "Project any", "Env any"]);
    await panel.locator('input[name="new-orgId"]').fill("web");
    await panel.locator('input[name="new-projectId"]').fill("payments");
    await panel.getByRole("button", { name: "Open the new project" }).click();
    await page.getByText("No load tests in this scope yet").waitFor();
    assert.deepEqual(await levels(page), ["Account acme", "Org web", "Project payments", "Env any"]);
    // The new test's form starts in it.
    await page.getByRole("link", { name: "New test" }).click();
    assert.equal(await page.locator('input[name="projectId"]').inputValue(), "payments");
    await page.close();
  });

  it("shows a scoped token who it is, its role, the server, a CLI snippet and the API's documents", async () => {
    const page = await signedIn(browser, server.url, VIEWER);
    await page.getByRole("link", { name: "API and CLI" }).click();
    await page.getByRole("heading", { name: "API and CLI", level: 1 }).waitFor();
    for (let tries = 0; tries < 50 && (await page.title()) !== "API and CLI · Load Manager"; tries++)
      await page.waitForTimeout(100);
    assert.equal(await page.title(), "API and CLI · Load Manager");
    assert.equal(await page.locator('[data-fact="name"]').textContent(), "shop-dash");
    assert.match((await page.locator('[data-fact="role"]').textContent()) ?? "", /^viewer · reads only/);
    assert.equal(await page.locator('[data-fact="bound"]').textContent(), "acme / web / shop");
    assert.equal(await page.locator('[data-fact="server"]').textContent(), server.url);
    const cli = (await page.locator('[data-snippet="cli"]').textContent()) ?? "";
    assert.match(cli, new RegExp(`loadmgr login --url ${server.url} --token`));
    assert.match((await page.locator('[data-snippet="ci"]').textContent()) ?? "", /--threshold "p95<300"/);
    for (const href of ["/docs", "/openapi.json", "/openapi.yaml"]) {
      const link = page.locator(`a[href="${href}"]`);
      assert.equal(await link.count(), 1, href);
      assert.equal((await fetch(`${server.url}${href}`)).status, 200, href);
    }
    // Its switcher lists only its own project.
    await page.locator(".scope-button").click();
    const panel = page.getByRole("dialog", { name: "Choose a scope" });
    await panel.locator(".scope-choice").first().waitFor();
    const choices = (await panel.locator(".scope-choice").allTextContents()).map((t) => t.replace(/\s+/g, " "));
    assert.deepEqual(choices, [
      "Everything2 tests · 1 runs",
      "acme2 tests · 1 runs",
      "acme / web2 tests · 1 runs",
      "acme / web / shop2 tests · 1 runs",
      "env prod1 tests · 1 runs",
    ]);
    assert.match((await panel.textContent()) ?? "", /Signed in as shop-dash \(viewer\), bound to acme \/ web \/ shop/);
    await page.keyboard.press("Escape");
    await screenshot(page, "19-api-and-cli");
    await page.close();
  });

  it("compares two runs: overlaid charts, A and B swapped on request, the regressed cells marked, setups that differ named", async () => {
    const testId = tests["Shop browse"]?.id ?? "";
    const before = await startRun(api(), testId, { targetUsers: 5, name: "before" });
    const after = await startRun(api(), testId, { targetUsers: 8, name: "after" });
    const slow = {
      endpoints: [
        {
          method: "GET",
          name: "/",
          requests: 10,
          failures: 0,
          sumResponseMs: 500,
          minResponseMs: 50,
          maxResponseMs: 50,
          histogram: [[50, 10]] as [number, number][],
        },
      ],
    };
    for (const [run, extra] of [
      [before, {}],
      [after, slow],
    ] as const) {
      const locust = pusher(server, run.id);
      for (const seq of [1, 2, 3]) await locust.metrics(seq, extra);
      await locust.stop();
    }
    const page = await signedIn(browser, server.url, ADMIN_TOKEN);
    const errors = pageErrors(page);
    await page.goto(`${server.url}/#/tests/${testId}`);
    // (Once failed in CI, the row never showing: say what the page showed instead.)
    await page
      .locator(`tr[data-run-id="${after.id}"]`)
      .waitFor()
      .catch(async (error: unknown) => {
        const shown = await page.locator("main").innerText();
        assert.fail(`${String(error)}\nthe page showed: ${shown.slice(0, 2000)}\nerrors: ${errors.join("; ")}`);
      });
    // Ticked newest first, compared oldest first: A is the run before.
    await page.locator(`tr[data-run-id="${after.id}"] input[type=checkbox]`).check();
    await page.locator(`tr[data-run-id="${before.id}"] input[type=checkbox]`).check();
    await page.getByRole("link", { name: "Compare the two runs" }).click();
    await page.locator("table.compare tbody tr").first().waitFor();
    assert.match(page.url(), new RegExp(`a=${before.id}&b=${after.id}$`));
    assert.equal(await page.locator('[data-side="A"] h2').textContent(), "before");
    assert.match((await page.locator(".crumbs").textContent()) ?? "", /Shop browse/);
    assert.match((await page.locator(".compare-differences").textContent()) ?? "", /they ran different users \(5, 8\)/);
    // Both runs on each chart.
    assert.equal(await page.locator(".compare-page .chart").count(), 2);
    const legends = await page.locator(".compare-page .chart").first().locator(".u-legend .u-label").allTextContents();
    assert.deepEqual(legends.slice(-2), ["A before (ms)", "B after (ms)"]);
    // The cells that regressed, and only those, are marked: p95 and p99 of GET / and of the total.
    const marked = await page.locator("table.compare td[data-regressed]").count();
    assert.equal(marked, 4);
    assert.match((await page.locator("table.compare tbody tr").first().locator("td").nth(4).textContent()) ?? "", /▲/);
    await screenshot(page, "09-compare");
    await page.getByRole("link", { name: "⇄ Swap A and B" }).click();
    await page.waitForURL(new RegExp(`a=${after.id}&b=${before.id}$`));
    await page.locator('[data-side="A"] h2', { hasText: "after" }).waitFor();
    assert.equal(await page.locator("table.compare td[data-regressed]").count(), 0);
    await page.close();
  });

  it("lists the agent pools with their agents, and makes a pool whose token it shows once", async () => {
    // Heard from just now: an agent counts as connected for its silence window after its last call
    // (3 metrics intervals + 10 s), which the tests before this one may outlast on a busy machine.
    await agentCallsIn();
    const page = await signedIn(browser, server.url, ADMIN_TOKEN);
    const errors = pageErrors(page);
    await page.goto(`${server.url}/#/agents`);
    const row = page.locator('section[data-pool="eu-gen"] tr[data-agent="gen-1"]');
    await row.waitFor();
    const cells = (await row.locator("th, td").allTextContents()).map((t) => t.trim());
    assert.deepEqual(cells, ["gen-1", "connected", "10.0.0.5", "0 / 4", "zone=a", "0.1.0", ""]);
    assert.match(
      (await page.locator('section[data-pool="eu-gen"] p').first().textContent()) ?? "",
      /1 of 1 agents connected · 0 of 4 slots busy · token active/,
    );
    // A project in scope: a new pool there, its token shown once with the command that uses it.
    await page.goto(`${server.url}/#/`);
    await page.evaluate(
      `localStorage.setItem("loadmgr.scope", JSON.stringify({ accountId: "acme", orgId: "web", projectId: "shop", envId: "" }))`,
    );
    await page.goto(`${server.url}/#/agents`);
    await page.reload();
    await page.getByLabel(/New pool in acme \/ web \/ shop/).fill("us-gen");
    await page.getByRole("button", { name: "Create pool" }).click();
    const token = page.getByTestId("new-pool-token");
    await token.waitFor();
    // The commands install the wheel this server serves (pip checks its digest) and start the agent.
    const wheel = (await api().get<AgentPackage>("/v1/agent-package")).body;
    const shown = (await token.getByTestId("join-commands").textContent()) ?? "";
    const poolToken = /LOADMGR_AGENT_TOKEN=(lmp_\S+)/.exec(shown)?.[1] ?? "";
    assert.notEqual(poolToken, "", shown);
    assert.deepEqual(shown.split("\n").slice(1), agentInstallCommands(server.url, wheel, poolToken));
    const facts = (await token.locator(".wheel-facts").textContent()) ?? "";
    assert.ok(facts.includes(wheel.fileName) && facts.includes(`sha256 ${wheel.sha256}`), facts);
    await page.locator('section[data-pool="us-gen"]').waitFor();
    await screenshot(page, "23-agents");
    // A test of that project is put on a pool in its form; its Run form then asks how many workers.
    const browse = tests["Shop browse"]?.id ?? "";
    await page.goto(`${server.url}/#/tests/${browse}/edit`);
    const runsOn = page.locator('select[name="agentPool"]');
    await runsOn.waitFor();
    const euGen = (await api().get<{ items: { id: string; name: string }[] }>("/v1/agent-pools")).body.items.find(
      (p) => p.name === "eu-gen",
    );
    await runsOn.selectOption(euGen?.id ?? "");
    await page.locator('input[name="defaultWorkers"]').fill("3");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator('form.run-form input[name="workers"]').waitFor();
    assert.equal(await page.locator('form.run-form input[name="workers"]').inputValue(), "3");
    const saved = (await api().get<LoadTest>(`/v1/load-tests/${browse}`)).body;
    assert.deepEqual([saved.agentPool, saved.defaultWorkers], [euGen?.id, 3]);
    // And back to this server's local runner.
    await page.goto(`${server.url}/#/tests/${browse}/edit`);
    await runsOn.selectOption("");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.locator("form.run-form").waitFor();
    assert.equal(await page.locator('form.run-form input[name="workers"]').count(), 0);
    assert.equal((await api().get<LoadTest>(`/v1/load-tests/${browse}`)).body.agentPool, null);
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("keeps the header compact on a phone, and no page scrolls sideways at 820 or 390 px", async () => {
    const page = await signedIn(browser, server.url, ADMIN_TOKEN, 390);
    await page.locator("tr[data-test-id]").first().waitFor();
    await screenshot(page, "20-phone");
    const header = await page.locator("header.top").boundingBox();
    assert.ok(header !== null && header.height <= 140, `the header is ${header?.height ?? "?"} px tall at 390 px`);
    const run = (await api().get<{ items: { id: string }[] }>("/v1/runs")).body.items[0]?.id ?? "";
    // Each page with what shows that its data is in: measured before that, a wide table could be missed.
    const pages: [string, string][] = [
      ["#/", "tr[data-test-id]"],
      ["#/runs", "table.all-runs tbody tr"],
      [`#/tests/${tests["Shop checkout"]?.id ?? ""}`, "table.runs tbody tr"],
      [`#/tests/${tests["Shop checkout"]?.id ?? ""}/edit`, 'input[name="name"]'],
      ["#/tests/new", ".cm-content"],
      [`#/runs/${run}`, "table.endpoints tbody tr"],
      [`#/compare?a=${run}&b=${run}`, "table.compare tbody tr"],
      ["#/api", '[data-fact="name"]'],
      ["#/agents", "tr[data-agent]"],
      ["#/webhooks", "section.webhooks-page h1"],
    ];
    for (const width of [820, 390]) {
      await page.setViewportSize({ width, height: 900 });
      for (const [hash, ready] of pages) {
        await page.goto(`${server.url}/${hash}`);
        await page.locator(ready).first().waitFor();
        const scrollWidth = await page.evaluate<number>("document.documentElement.scrollWidth");
        assert.ok(scrollWidth <= width, `${hash} is ${scrollWidth} px wide at ${width} px`);
        // The scope reads as words, not a column of letters (at 820 px it once had 114 px).
        const scope = await page.locator(".scope-button").boundingBox();
        assert.ok(
          scope !== null && scope.width >= 240,
          `the scope button is ${scope?.width ?? "?"} px wide at ${width} px`,
        );
      }
    }
    // A test's page on a phone, for a test of some size (an 80-line script, 3 revisions, 6 runs): the run
    // form and the runs first, the definition, schedules and revisions folded under their headings, the
    // editor a scrolling box (such a page was 8,065 px long).
    const script = Array.from({ length: 80 }, (_, i) => `# line ${i + 1}: a comment long enough to wrap on a phone`);
    const big = await createTest(api(), "http://127.0.0.1:9", `${script.join("\n")}\n`, {
      name: "Big suite",
      accountId: "acme",
      orgId: "web",
      projectId: "shop",
      thresholds: ["p95<300", "error_rate<1%"],
    });
    for (const note of ["second", "third"]) {
      const saved = await api().put(`/v1/load-tests/${big.id}/script`, {
        scriptContent: encodeScript(`${script.join("\n")}\n# ${note}\n`),
        description: note,
      });
      assert.equal(saved.status, 201, JSON.stringify(saved.body));
    }
    for (let i = 0; i < 6; i++) await startRun(api(), big.id);
    await page.goto(`${server.url}/#/tests/${big.id}`);
    await page.locator("table.runs tbody tr").nth(5).waitFor();
    await page.locator(".cm-content").first().waitFor();
    const folded = await page.locator("details.folding:not([open])").count();
    assert.equal(folded, 3, "definition, schedules and revisions start folded on a phone");
    const tall = await page.evaluate<number>("document.documentElement.scrollHeight");
    assert.ok(tall <= 4000, `the test page is ${tall} px long at 390 px`);
    await screenshot(page, "20b-test-phone");
    // A folded panel opens with a tap on its heading.
    await page.getByRole("heading", { name: "Revisions" }).click();
    await page.locator("details.folding[open] h2", { hasText: "Revisions" }).waitFor();
    await page.close();
  });
});
