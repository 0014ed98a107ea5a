import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { LoadTest, LoadTestRun, Page } from "@loadmgr/shared";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const TOKENS = {
  shopEditor: "shop-editor-token-0123456789",
  shopViewer: "shop-viewer-token-0123456789",
  acmeEditor: "acme-editor-token-0123456789",
  otherEditor: "other-editor-token-012345678",
};

const test = (accountId: string, projectId: string, name: string) => ({
  name,
  accountId,
  orgId: "web",
  projectId,
  targetUrl: "http://127.0.0.1:8089",
  scriptContent: SAMPLE_SCRIPT_B64,
});

describe("auth and scope", () => {
  let server: TestServer;
  let admin: ReturnType<typeof restClient>;
  let shopTest: LoadTest;
  let blogTest: LoadTest;
  let otherTest: LoadTest;
  let shopRun: LoadTestRun;
  let otherRun: LoadTestRun;

  before(async () => {
    server = await startTestServer({
      security: {
        tokens: [
          {
            name: "shop-ci",
            token: TOKENS.shopEditor,
            role: "editor",
            accountId: "acme",
            orgId: "web",
            projectId: "shop",
          },
          {
            name: "shop-dash",
            token: TOKENS.shopViewer,
            role: "viewer",
            accountId: "acme",
            orgId: "web",
            projectId: "shop",
          },
          { name: "acme-lead", token: TOKENS.acmeEditor, role: "editor", accountId: "acme" },
          { name: "other", token: TOKENS.otherEditor, role: "editor", accountId: "globex" },
        ],
      },
    });
    admin = restClient(server.url);
    shopTest = (await admin.post<LoadTest>("/v1/load-tests", test("acme", "shop", "shop"))).body;
    blogTest = (await admin.post<LoadTest>("/v1/load-tests", test("acme", "blog", "blog"))).body;
    otherTest = (await admin.post<LoadTest>("/v1/load-tests", test("globex", "shop", "globex"))).body;
    shopRun = (await admin.post<LoadTestRun>(`/v1/load-tests/${shopTest.id}/runs`, {})).body;
    otherRun = (await admin.post<LoadTestRun>(`/v1/load-tests/${otherTest.id}/runs`, {})).body;
  });
  after(() => server.close());

  it("answers 401 without a token, with a wrong token, or a malformed header", async () => {
    for (const client of [restClient(server.url, null), restClient(server.url, "wrong-token-0123456789")]) {
      const res = await client.get("/v1/load-tests");
      assert.equal(res.status, 401);
      assert.equal(res.body.code, "UNAUTHORIZED");
    }
    const raw = await fetch(`${server.url}/v1/load-tests`, { headers: { authorization: "Basic abc" } });
    assert.equal(raw.status, 401);
  });

  it("tells a token who it is, and lists only the scopes in its reach, with counts", async () => {
    const me = await restClient(server.url, TOKENS.shopViewer).get("/v1/me");
    assert.equal(me.status, 200);
    assert.deepEqual(me.body, {
      name: "shop-dash",
      role: "viewer",
      accountId: "acme",
      orgId: "web",
      projectId: "shop",
    });
    assert.equal((await admin.get<{ role: string }>("/v1/me")).body.role, "admin");
    const scopes = async (token: string) =>
      (await restClient(server.url, token).get<{ items: Record<string, unknown>[] }>("/v1/scopes")).body.items;
    assert.deepEqual(await scopes(TOKENS.shopViewer), [
      { accountId: "acme", orgId: "web", projectId: "shop", envId: null, tests: 1, runs: 1 },
    ]);
    assert.deepEqual(
      (await scopes(TOKENS.acmeEditor)).map((s) => [s.projectId, s.tests, s.runs]),
      [
        ["blog", 1, 0],
        ["shop", 1, 1],
      ],
    );
    assert.equal((await restClient(server.url, null).get("/v1/scopes")).status, 401);
  });

  it("lets a scoped token list only its own scope", async () => {
    const names = async (token: string, query = "") =>
      (await restClient(server.url, token).get<Page<LoadTest>>(`/v1/load-tests${query}`)).body.items
        .map((t) => t.name)
        .sort();
    assert.deepEqual(await names(TOKENS.shopViewer), ["shop"]);
    assert.deepEqual(await names(TOKENS.acmeEditor), ["blog", "shop"]);
    assert.deepEqual(await names(TOKENS.otherEditor), ["globex"]);
    assert.deepEqual(await names(TOKENS.shopViewer, "?accountId=globex"), []);
    assert.deepEqual(await names(TOKENS.shopViewer, "?projectId=blog"), []);
    const runs = await restClient(server.url, TOKENS.shopViewer).get<Page<LoadTestRun>>("/v1/runs");
    assert.deepEqual(
      runs.body.items.map((r) => r.id),
      [shopRun.id],
    );
  });

  it("answers 404 for anything outside the token's scope, for reads and writes", async () => {
    const shop = restClient(server.url, TOKENS.shopEditor);
    for (const res of [
      await shop.get(`/v1/load-tests/${blogTest.id}`),
      await shop.get(`/v1/load-tests/${otherTest.id}/script`),
      await shop.get(`/v1/load-tests/${otherTest.id}/script/revisions`),
      await shop.put(`/v1/load-tests/${otherTest.id}`, { name: "hijack" }),
      await shop.put(`/v1/load-tests/${otherTest.id}/script`, { scriptContent: SAMPLE_SCRIPT_B64 }),
      await shop.del(`/v1/load-tests/${otherTest.id}`),
      await shop.post(`/v1/load-tests/${otherTest.id}/runs`, {}),
      await shop.get(`/v1/load-tests/${otherTest.id}/runs`),
      await shop.get(`/v1/runs/${otherRun.id}`),
      await shop.post(`/v1/runs/${otherRun.id}/stop`),
    ]) {
      assert.equal(res.status, 404, JSON.stringify(res.body));
    }
    const untouched = (await admin.get<LoadTest>(`/v1/load-tests/${otherTest.id}`)).body;
    assert.equal(untouched.name, "globex");
    assert.equal(untouched.latestRevisionNumber, 1);
    assert.equal((await admin.get<LoadTestRun>(`/v1/runs/${otherRun.id}`)).body.status, "Pending");
  });

  it("refuses to create a test outside the token's scope with 403 naming the field", async () => {
    const shop = restClient(server.url, TOKENS.shopEditor);
    const res = await shop.post("/v1/load-tests", test("acme", "blog", "sneaky"));
    assert.equal(res.status, 403);
    assert.equal(res.body.code, "OUT_OF_SCOPE");
    assert.equal(res.body.field, "projectId");
    const ok = await shop.post<LoadTest>("/v1/load-tests", test("acme", "shop", "mine"));
    assert.equal(ok.status, 201);
    assert.equal(ok.body.createdBy, "shop-ci");
  });

  it("lets a viewer read but not write (403)", async () => {
    const viewer = restClient(server.url, TOKENS.shopViewer);
    assert.equal((await viewer.get(`/v1/load-tests/${shopTest.id}`)).status, 200);
    assert.equal((await viewer.get(`/v1/runs/${shopRun.id}`)).status, 200);
    for (const res of [
      await viewer.post("/v1/load-tests", test("acme", "shop", "viewer-made")),
      await viewer.put(`/v1/load-tests/${shopTest.id}`, { name: "renamed" }),
      await viewer.put(`/v1/load-tests/${shopTest.id}/script`, { scriptContent: SAMPLE_SCRIPT_B64 }),
      await viewer.del(`/v1/load-tests/${shopTest.id}`),
      await viewer.post(`/v1/load-tests/${shopTest.id}/runs`, {}),
      await viewer.post(`/v1/runs/${shopRun.id}/stop`),
    ]) {
      assert.equal(res.status, 403);
      assert.equal(res.body.code, "READ_ONLY_TOKEN");
    }
    const unchanged = (await admin.get<LoadTest>(`/v1/load-tests/${shopTest.id}`)).body;
    assert.equal(unchanged.name, "shop");
    assert.equal(unchanged.recentRuns.length, 1);
  });
});
