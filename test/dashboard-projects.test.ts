import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { encodeScript, type LoadTest, type LoadTestRun, type ScriptRevision } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { launchBrowser, screenshot, signedIn } from "./helpers/browser.js";
import { ended, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const VALUE = "dash-secret-value-9c1e";
const b64 = (text: string): string => Buffer.from(text, "utf-8").toString("base64");
const LOCUSTFILE = `import os
from locust import HttpUser, constant, task
from lib.helpers import PATH

class Shopper(HttpUser):
    wait_time = constant(0.2)

    @task
    def browse(self):
        self.client.get(PATH, headers={"x-key": os.environ["DASH_KEY"]})
`;

describe("the dashboard: a test's files, secrets and a staged run", { timeout: 240_000 }, () => {
  let server: TestServer;
  let browser: Browser;
  let target: TargetApp;
  let dir: string;
  const api = () => restClient(server.url);

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
    browser = await launchBrowser();
    dir = mkdtempSync(join(tmpdir(), "loadmgr-dash-files-"));
  });
  after(async () => {
    await browser.close();
    await server.close();
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it("sets a secret on the Secrets page, never showing its value again", async () => {
    const { page, errors } = await signedIn(browser, server.url, "#/secrets");
    await page.getByRole("heading", { name: "Secrets" }).waitFor();
    await page.fill('input[name="name"]', "DASH_KEY");
    await page.fill('input[name="value"]', VALUE);
    await page.getByRole("button", { name: "Set secret" }).click();
    await page.locator('tr[data-secret="DASH_KEY"]').waitFor();
    assert.match(await page.getByRole("status").innerText(), /Set DASH_KEY/);
    assert.equal((await page.content()).includes(VALUE), false);
    assert.equal(await page.inputValue('input[name="value"]'), "");
    await screenshot(page, "25-secrets");
    assert.deepEqual(errors, []);
    await page.close();
  });

  it("edits a test's files: shows them, uploads one, splits a CSV, removes one, and diffs the revisions", async () => {
    const created = await api().post<LoadTest>("/v1/load-tests", {
      ...SCOPE,
      name: "Dashboard suite",
      targetUrl: target.url,
      scriptContent: encodeScript(LOCUSTFILE),
      files: [
        { path: "lib/helpers.py", contentBase64: b64('PATH = "/dash"\n') },
        { path: "data/users.csv", contentBase64: b64("name\nann\nbob\n") },
        { path: "data/old.txt", contentBase64: b64("old\n") },
      ],
      secrets: ["DASH_KEY"],
      defaultStages: [
        { durationSec: 3, users: 2, spawnRate: 10 },
        { durationSec: 3, users: 4, spawnRate: 10 },
      ],
      maxDurationSec: 600,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const test = created.body;
    const { page, errors } = await signedIn(browser, server.url, `#/tests/${test.id}`);
    const files = page.getByRole("list", { name: "Files" });
    await files.locator('button[data-path="data/users.csv"]').waitFor();
    assert.deepEqual(await files.locator("button .mono").allTextContents(), [
      "locustfile.py",
      "data/old.txt",
      "data/users.csv",
      "lib/helpers.py",
    ]);
    assert.match(await page.locator('[data-fact="secrets"]').innerText(), /DASH_KEY/);
    assert.match(await page.locator('[data-fact="stages"]').innerText(), /2 users for 3 s → 4 users for 3 s/);

    // A text file opens in the editor; a CSV can be split.
    await files.locator('button[data-path="data/users.csv"]').click();
    await page.getByText("bob").first().waitFor();
    await page.locator('input[name="split"]').check();
    // A binary file is uploaded into data/, and shown as binary.
    const upload = join(dir, "blob.bin");
    writeFileSync(upload, Buffer.from([0, 1, 2, 3, 255]));
    await page.locator('input[name="upload"]').setInputFiles(upload);
    await page.getByTestId("binary-file").waitFor();
    // One is removed.
    await files.locator('button[data-path="data/old.txt"]').click();
    await page.getByRole("button", { name: "Remove data/old.txt" }).click();
    await page.fill('input[name="description"]', "split users, add blob");
    await page.getByRole("button", { name: "Save as new revision" }).click();
    await page.getByRole("heading", { name: "Project · revision 2" }).waitFor();

    const latest = (await api().get<ScriptRevision>(`/v1/load-tests/${test.id}/script`)).body;
    assert.deepEqual(
      latest.files.map((f) => [f.path, f.split, f.sizeBytes]),
      [
        ["data/blob.bin", false, 5],
        ["data/users.csv", true, 13],
        ["lib/helpers.py", false, 15],
      ],
    );
    // The revision diff lists every file with what happened to it.
    const changes = page.getByRole("list", { name: "Files changed" });
    await changes.waitFor();
    const rows: string[] = [];
    for (const li of await changes.locator("li").all()) {
      rows.push(`${(await li.locator(".mono").textContent()) ?? ""}:${(await li.getAttribute("data-change")) ?? ""}`);
    }
    assert.deepEqual(rows, [
      "locustfile.py:unchanged",
      "data/blob.bin:added",
      "data/old.txt:removed",
      "data/users.csv:changed",
      "lib/helpers.py:unchanged",
    ]);
    await changes.getByRole("button", { name: "data/old.txt" }).click();
    await page.getByText("revision 1/data/old.txt").waitFor();
    await screenshot(page, "24-test-files");
    assert.deepEqual(errors, []);
    await page.close();

    // The run page: what it ran with (the secret by name only), its stages marked on the charts.
    const run = await startRun(api(), test.id);
    const done: LoadTestRun = await waitForRun(api(), run.id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.ok((target.hits.get("/dash") ?? 0) > 0);
    const view = await signedIn(browser, server.url, `#/runs/${run.id}`);
    const ranWith = view.page.getByTestId("ran-with");
    await ranWith.waitFor();
    const facts = await ranWith.innerText();
    assert.match(facts, /DASH_KEY/);
    assert.match(facts, /2 users for 3 s at 10\/s → 4 users for 3 s at 10\/s/);
    const marks = view.page.getByRole("list", { name: "Stages" }).first();
    await marks.waitFor();
    assert.deepEqual(await marks.locator("li").allTextContents(), ["stage 1: 2 users", "stage 2: 4 users"]);
    assert.equal((await view.page.content()).includes(VALUE), false);
    await screenshot(view.page, "26-run-stages");
    assert.deepEqual(view.errors, []);
    await view.page.close();
  });

  it("edits a test's stages, parameters and secrets in its form, with the API's message at a bad stage", async () => {
    const created = await api().post<LoadTest>("/v1/load-tests", {
      ...SCOPE,
      name: "Form suite",
      targetUrl: target.url,
      scriptContent: encodeScript(LOCUSTFILE),
    });
    assert.equal(created.status, 201);
    const { page, errors } = await signedIn(browser, server.url, `#/tests/${created.body.id}/edit`);
    await page.locator('textarea[name="defaultStages"]').waitFor();
    await page.fill('textarea[name="defaultStages"]', "30 10 2\nsixty 20 2");
    await page.fill('textarea[name="env"]', "MODE=fast\nREGION=eu");
    await page.fill('input[name="secrets"]', "DASH_KEY");
    await page.getByRole("button", { name: "Save changes" }).click();
    // The API's message, at the Stages field: the second stage's duration is not a number.
    const stageError = page.locator('[data-field="defaultStages"] .field-error');
    await stageError.waitFor();
    assert.ok((await stageError.innerText()).length > 0);
    assert.deepEqual((await api().get<LoadTest>(`/v1/load-tests/${created.body.id}`)).body.defaultStages, null);

    await page.fill('textarea[name="defaultStages"]', "30 10 2\n60 20 2");
    await page.getByRole("button", { name: "Save changes" }).click();
    await page.waitForURL(new RegExp(`#/tests/${created.body.id}$`));
    const saved = (await api().get<LoadTest>(`/v1/load-tests/${created.body.id}`)).body;
    assert.deepEqual(saved.defaultStages, [
      { durationSec: 30, users: 10, spawnRate: 2 },
      { durationSec: 60, users: 20, spawnRate: 2 },
    ]);
    assert.deepEqual(saved.env, { MODE: "fast", REGION: "eu" });
    assert.deepEqual(saved.secrets, ["DASH_KEY"]);
    await page.locator('[data-fact="env"]').waitFor();
    assert.match(await page.locator('[data-fact="env"]').innerText(), /MODE=fast · REGION=eu/);
    assert.deepEqual(errors, []);
    await page.close();
  });
});
