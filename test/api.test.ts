import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { encodeScript, type LoadTest, type LoadTestRun, type Page, type ScriptRevision } from "@loadmgr/shared";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const BASE = { accountId: "acme", orgId: "web", projectId: "shop", targetUrl: "http://127.0.0.1:8089" };

describe("REST: load tests, scripts and runs", () => {
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  before(async () => {
    server = await startTestServer();
    api = restClient(server.url);
  });
  after(() => server.close());

  it("creates a test with every field, revision 1 and integer timestamps", async () => {
    const before = Date.now();
    const res = await api.post<LoadTest>("/v1/load-tests", {
      ...BASE,
      name: "Checkout",
      description: "the checkout flow",
      tags: ["smoke", "checkout"],
      envId: "staging",
      scenarioId: "scn-1",
      defaultUsers: 50,
      defaultSpawnRate: 5.5,
      defaultDurationSec: 120,
      maxDurationSec: 600,
      metadata: { owner: "team-a" },
      scriptContent: SAMPLE_SCRIPT_B64,
      createdBy: "alice@example.com",
    });
    assert.equal(res.status, 201);
    const test = res.body;
    assert.equal(test.name, "Checkout");
    assert.deepEqual(test.tags, ["smoke", "checkout"]);
    assert.equal(test.envId, "staging");
    assert.equal(test.locustClusterId, null);
    assert.equal(test.defaultSpawnRate, 5.5);
    assert.equal(test.latestRevisionNumber, 1);
    assert.deepEqual(test.recentRuns, []);
    assert.equal(test.createdBy, "alice@example.com");
    assert.ok(Number.isInteger(test.createdAt) && test.createdAt >= before && test.createdAt <= Date.now());
    assert.equal(test.updatedAt, test.createdAt);

    assert.deepEqual((await api.get(`/v1/load-tests/${test.id}`)).body, test);
    const script = await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`);
    assert.equal(script.status, 200);
    assert.equal(script.body.id, test.latestRevisionId);
    assert.equal(script.body.revisionNumber, 1);
    assert.equal(script.body.scriptContent, SAMPLE_SCRIPT_B64);
    assert.equal(script.body.createdBy, "alice@example.com");
  });

  it("fills defaults and names the token as the author when none is given", async () => {
    const res = await api.post<LoadTest>("/v1/load-tests", {
      ...BASE,
      name: "Defaults",
      scriptContent: SAMPLE_SCRIPT_B64,
    });
    assert.equal(res.status, 201);
    assert.equal(res.body.defaultUsers, 10);
    assert.equal(res.body.defaultDurationSec, 60);
    assert.equal(res.body.maxDurationSec, 3600);
    assert.equal(res.body.createdBy, "admin");
  });

  it("lists with filters (hierarchy, env, any-of tags) and pages newest first", async () => {
    const make = (name: string, extra: Record<string, unknown>) =>
      api.post<LoadTest>("/v1/load-tests", {
        ...BASE,
        accountId: "list-acc",
        name,
        scriptContent: SAMPLE_SCRIPT_B64,
        ...extra,
      });
    const a = (await make("a", { tags: ["red"] })).body;
    const b = (await make("b", { tags: ["blue"], envId: "prod" })).body;
    const c = (await make("c", { tags: ["red", "green"], projectId: "other" })).body;
    const names = async (query: string) =>
      (await api.get<Page<LoadTest>>(`/v1/load-tests?accountId=list-acc${query}`)).body.items.map((t) => t.name);
    assert.deepEqual(await names(""), ["c", "b", "a"]);
    assert.deepEqual(await names("&projectId=shop"), ["b", "a"]);
    assert.deepEqual(await names("&envId=prod"), ["b"]);
    assert.deepEqual(await names("&tags=red"), ["c", "a"]);
    assert.deepEqual(await names("&tags=blue,green"), ["c", "b"]);
    assert.deepEqual(await names("&tags=blue&tags=green"), ["c", "b"]);
    const first = await api.get<Page<LoadTest>>("/v1/load-tests?accountId=list-acc&limit=2");
    assert.deepEqual(
      first.body.items.map((t) => t.id),
      [c.id, b.id],
    );
    assert.ok(first.body.nextCursor);
    const second = await api.get<Page<LoadTest>>(
      `/v1/load-tests?accountId=list-acc&limit=2&cursor=${first.body.nextCursor}`,
    );
    assert.deepEqual(
      second.body.items.map((t) => t.id),
      [a.id],
    );
    assert.equal(second.body.nextCursor, undefined);
    const offset = await api.get<Page<LoadTest>>("/v1/load-tests?accountId=list-acc&limit=1&offset=1");
    assert.deepEqual(
      offset.body.items.map((t) => t.id),
      [b.id],
    );
  });

  it("updates only the fields sent", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Before", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    const res = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, {
      name: "After",
      defaultUsers: 99,
      envId: "prod",
      updatedBy: "bob",
    });
    assert.equal(res.status, 200);
    assert.equal(res.body.name, "After");
    assert.equal(res.body.defaultUsers, 99);
    assert.equal(res.body.envId, "prod");
    assert.equal(res.body.updatedBy, "bob");
    assert.equal(res.body.targetUrl, test.targetUrl);
    assert.equal(res.body.latestRevisionId, test.latestRevisionId);
    assert.ok(res.body.updatedAt >= test.updatedAt);
    const cleared = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, { envId: null });
    assert.equal(cleared.body.envId, null);
  });

  it("accepts base64 wrapped across lines and stores it as one line", async () => {
    const wrapped = SAMPLE_SCRIPT_B64.replace(/(.{76})/g, "$1\n");
    assert.notEqual(wrapped, SAMPLE_SCRIPT_B64);
    const test = (await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Wrapped", scriptContent: wrapped }))
      .body;
    const script = await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`);
    assert.equal(script.body.scriptContent, SAMPLE_SCRIPT_B64);
  });

  it("keeps every script edit as a new revision and lists them newest first", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Scripts", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    const v2 = encodeScript("from locust import HttpUser\n# v2\n");
    const put = await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, {
      scriptContent: v2,
      description: "add think time",
      updatedBy: "carol",
    });
    assert.equal(put.status, 201);
    assert.equal(put.body.revisionNumber, 2);
    assert.equal(put.body.description, "add think time");
    assert.equal(put.body.createdBy, "carol");
    const latest = await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`);
    assert.deepEqual(latest.body, put.body);
    const stored = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    assert.equal(stored.latestRevisionId, put.body.id);
    const list = await api.get<Page<ScriptRevision>>(`/v1/load-tests/${test.id}/script/revisions`);
    assert.deepEqual(
      list.body.items.map((r) => [r.revisionNumber, r.scriptContent]),
      [
        [2, v2],
        [1, SAMPLE_SCRIPT_B64],
      ],
    );
    const one = await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script/revisions/${test.latestRevisionId}`);
    assert.equal(one.body.revisionNumber, 1);
    assert.equal(one.body.scriptContent, SAMPLE_SCRIPT_B64);
  });

  it("gives concurrent script edits through the API distinct, gapless numbers", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Race", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, { scriptContent: encodeScript(`print(${i})\n`) }),
      ),
    );
    assert.ok(results.every((r) => r.status === 201));
    assert.deepEqual(
      results.map((r) => r.body.revisionNumber).sort((x, y) => x - y),
      Array.from({ length: 20 }, (_, i) => i + 2),
    );
  });

  it("creates runs with overrides or the test's defaults, on the latest revision, at the front of recentRuns", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", {
        ...BASE,
        name: "Runs",
        envId: "qa",
        defaultUsers: 20,
        defaultSpawnRate: 4,
        defaultDurationSec: 30,
        maxDurationSec: 120,
        scriptContent: SAMPLE_SCRIPT_B64,
      })
    ).body;
    const defaults = await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {});
    assert.equal(defaults.status, 201);
    assert.equal(defaults.body.status, "Pending");
    assert.equal(defaults.body.targetUsers, 20);
    assert.equal(defaults.body.spawnRate, 4);
    assert.equal(defaults.body.durationSec, 30);
    assert.equal(defaults.body.scriptRevisionId, test.latestRevisionId);
    assert.deepEqual(
      [defaults.body.accountId, defaults.body.orgId, defaults.body.projectId, defaults.body.envId],
      ["acme", "web", "shop", "qa"],
    );
    assert.equal(defaults.body.startedAt, null);
    assert.equal(defaults.body.finishedAt, null);

    const rev2 = (
      await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, { scriptContent: encodeScript("print(2)\n") })
    ).body;
    const custom = await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {
      name: "peak",
      targetUsers: 100,
      spawnRate: 10,
      durationSec: 120,
      metadata: { build: "1.2.3" },
      thresholds: [" p95<300", "GET /api/products:p99<500"],
    });
    assert.equal(custom.status, 201);
    assert.deepEqual(custom.body.thresholds, ["p95<300", "GET /api/products:p99<500"]);
    assert.equal(custom.body.verdict, null);
    assert.deepEqual(defaults.body.thresholds, []);
    assert.equal(custom.body.name, "peak");
    assert.equal(custom.body.targetUsers, 100);
    assert.equal(custom.body.durationSec, 120);
    assert.equal(custom.body.scriptRevisionId, rev2.id);
    assert.deepEqual(custom.body.metadata, { build: "1.2.3" });

    const stored = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    assert.deepEqual(
      stored.recentRuns.map((r) => [r.id, r.status, r.scriptRevisionId]),
      [
        [custom.body.id, "Pending", rev2.id],
        [defaults.body.id, "Pending", test.latestRevisionId],
      ],
    );
    assert.deepEqual((await api.get(`/v1/runs/${custom.body.id}`)).body, custom.body);

    const perTest = await api.get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`);
    assert.deepEqual(
      perTest.body.items.map((r) => r.id),
      [custom.body.id, defaults.body.id],
    );
    const across = await api.get<Page<LoadTestRun>>("/v1/runs?accountId=acme&envId=qa&status=Pending");
    assert.ok(across.body.items.some((r) => r.id === custom.body.id));
    assert.ok(across.body.items.every((r) => r.envId === "qa" && r.status === "Pending"));
  });

  it("still takes the deprecated names (durationSeconds, windowSeconds) and answers with both names", async () => {
    const made = await api.post<LoadTest>("/v1/load-tests", {
      ...BASE,
      name: "Old names",
      maxDurationSec: 120,
      autoStop: { errorRatePercent: 50, windowSeconds: 30 },
      scriptContent: SAMPLE_SCRIPT_B64,
    });
    assert.equal(made.status, 201, JSON.stringify(made.body));
    assert.deepEqual(made.body.autoStop, { errorRatePercent: 50, windowSec: 30, windowSeconds: 30 });
    const test = made.body;
    const changed = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, {
      autoStop: { errorRatePercent: 50, windowSec: 40 },
    });
    assert.deepEqual(changed.body.autoStop, { errorRatePercent: 50, windowSec: 40, windowSeconds: 40 });

    const old = await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {
      durationSeconds: 45,
      autoStop: { errorRatePercent: 20, windowSeconds: 15 },
    });
    assert.equal(old.status, 201, JSON.stringify(old.body));
    assert.equal(old.body.durationSec, 45);
    assert.equal(old.body.durationSeconds, 45);
    assert.deepEqual(old.body.autoStop, { errorRatePercent: 20, windowSec: 15, windowSeconds: 15 });
    const both = await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {
      durationSec: 50,
      durationSeconds: 50,
    });
    assert.equal(both.body.durationSeconds, 50);
    const listed = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.recentRuns;
    assert.deepEqual(
      listed.map((r) => [r.durationSec, r.durationSeconds]),
      [
        [50, 50],
        [45, 45],
      ],
    );

    // Both names, disagreeing: refused, naming the current one, and nothing stored.
    const disagree = await api.post<{ code: string; field: string; message: string }>(
      `/v1/load-tests/${test.id}/runs`,
      { durationSec: 50, durationSeconds: 60 },
    );
    assert.equal(disagree.status, 400);
    assert.deepEqual([disagree.body.code, disagree.body.field], ["INVALID_INPUT", "durationSec"]);
    assert.match(disagree.body.message, /deprecated name of durationSec/);
    const windows = await api.put<{ code: string; field: string }>(`/v1/load-tests/${test.id}`, {
      autoStop: { errorRatePercent: 50, windowSec: 30, windowSeconds: 60 },
    });
    assert.equal(windows.status, 400);
    assert.deepEqual([windows.body.code, windows.body.field], ["INVALID_INPUT", "autoStop.windowSec"]);
    const none = await api.put<{ code: string; field: string }>(`/v1/load-tests/${test.id}`, {
      autoStop: { errorRatePercent: 50 },
    });
    assert.equal(none.status, 400);
    assert.deepEqual([none.body.code, none.body.field], ["INVALID_INPUT", "autoStop.windowSec"]);
    const aboveMax = await api.post<{ code: string; field: string }>(`/v1/load-tests/${test.id}/runs`, {
      durationSeconds: 121,
    });
    assert.deepEqual(
      [aboveMax.status, aboveMax.body.code, aboveMax.body.field],
      [400, "DURATION_ABOVE_MAX", "durationSeconds"],
    );
    assert.equal((await api.get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`)).body.items.length, 2);
    assert.equal((await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.autoStop?.windowSec, 40);
  });

  it("keeps default thresholds on the test: a run without its own is judged against them, one with its own (or []) overrides", async () => {
    const bad = await api.post("/v1/load-tests", {
      ...BASE,
      name: "bad thresholds",
      scriptContent: SAMPLE_SCRIPT_B64,
      thresholds: ["p95<300", "p97<1"],
    });
    assert.equal(bad.status, 400);
    assert.equal(bad.body.field, "thresholds.1");
    const test = (
      await api.post<LoadTest>("/v1/load-tests", {
        ...BASE,
        name: "with thresholds",
        scriptContent: SAMPLE_SCRIPT_B64,
        thresholds: ["p95<300", "error_rate<1%"],
      })
    ).body;
    assert.deepEqual(test.thresholds, ["p95<300", "error_rate<1%"]);
    const inherits = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    assert.deepEqual(inherits.thresholds, ["p95<300", "error_rate<1%"]);
    const own = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, { thresholds: ["rps>5"] })).body;
    assert.deepEqual(own.thresholds, ["rps>5"]);
    const none = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, { thresholds: [] })).body;
    assert.deepEqual(none.thresholds, []);
    const updated = await api.put<LoadTest>(`/v1/load-tests/${test.id}`, { thresholds: ["p99<800"] });
    assert.deepEqual(updated.body.thresholds, ["p99<800"]);
    assert.deepEqual((await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.thresholds, ["p99<800"]);
  });

  it("stops runs along the lifecycle, updating recentRuns in place, and refuses illegal moves with 409", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Stop", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    const pending = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, { thresholds: ["p95<300"] })).body;
    const stopped = await api.post<LoadTestRun>(`/v1/runs/${pending.id}/stop`, { updatedBy: "dave" });
    assert.equal(stopped.status, 200);
    assert.equal(stopped.body.status, "Stopped");
    assert.equal(stopped.body.updatedBy, "dave");
    assert.ok(Number.isInteger(stopped.body.finishedAt));
    // Stopped before it sent a request: nothing was measured, so its threshold did not hold.
    assert.deepEqual(stopped.body.verdict, {
      passed: false,
      checkedAt: stopped.body.finishedAt,
      checks: [{ threshold: "p95<300", measured: null, passed: false }],
      aborted: false,
      abortedBy: null,
      baselineRunId: null,
      regressions: [],
    });
    assert.deepEqual((await api.get<LoadTestRun>(`/v1/runs/${pending.id}`)).body.verdict, stopped.body.verdict);

    const again = await api.post(`/v1/runs/${pending.id}/stop`);
    assert.equal(again.status, 409);
    assert.equal(again.body.code, "INVALID_TRANSITION");
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${pending.id}`)).body.status, "Stopped");

    // A run whose Locust reported its test start (an api-only server starts none; the run service moves it as ingest would).
    const running = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    assert.equal(await server.running.services.runs.markRunning(running, Date.now()), "Running");
    const stopping = await api.post<LoadTestRun>(`/v1/runs/${running.id}/stop`);
    assert.equal(stopping.body.status, "Stopping");
    assert.equal((await api.post<LoadTestRun>(`/v1/runs/${running.id}/stop`)).body.status, "Stopping");

    const stored = (await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body;
    assert.deepEqual(
      stored.recentRuns.map((r) => [r.id, r.status]),
      [
        [running.id, "Stopping"],
        [pending.id, "Stopped"],
      ],
    );
  });

  it("takes a bodiless POST without a content type, as `curl -X POST …/stop` sends it", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "bare", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    for (const framing of ["no Content-Length (curl)", "Content-Length: 0"]) {
      const run = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
      const { port } = new URL(server.url);
      const socket = connect(Number(port), "127.0.0.1");
      socket.end(
        `POST /v1/runs/${run.id}/stop HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${ADMIN_TOKEN}\r\n` +
          `${framing.startsWith("Content-Length") ? "Content-Length: 0\r\n" : ""}Connection: close\r\n\r\n`,
      );
      const chunks: Buffer[] = [];
      for await (const chunk of socket) chunks.push(chunk as Buffer);
      const response = Buffer.concat(chunks).toString();
      assert.match(response, /^HTTP\/1\.1 200 /, `${framing}: ${response}`);
      assert.match(response, /"status":"Stopped"/);
    }
  });

  it("deletes a test with its revisions and runs, but not while a run is active", async () => {
    const test = (
      await api.post<LoadTest>("/v1/load-tests", { ...BASE, name: "Delete", scriptContent: SAMPLE_SCRIPT_B64 })
    ).body;
    const run = (await api.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    const refused = await api.del(`/v1/load-tests/${test.id}`);
    assert.equal(refused.status, 409);
    assert.equal(refused.body.code, "LOAD_TEST_HAS_ACTIVE_RUNS");
    assert.equal((await api.get(`/v1/load-tests/${test.id}`)).status, 200);
    assert.equal((await api.get(`/v1/runs/${run.id}`)).status, 200);

    await api.post(`/v1/runs/${run.id}/stop`);
    const deleted = await api.del(`/v1/load-tests/${test.id}`);
    assert.equal(deleted.status, 200);
    assert.deepEqual(deleted.body, { id: test.id, deleted: true });
    assert.equal((await api.get(`/v1/load-tests/${test.id}`)).status, 404);
    assert.equal((await api.get(`/v1/runs/${run.id}`)).status, 404);
    assert.equal((await api.del(`/v1/load-tests/${test.id}`)).status, 404);
  });
});
