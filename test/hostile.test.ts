import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { WebSocket } from "ws";
import type { LoadTest, LoadTestRun, Page, RequestStats, RunSummary } from "@loadmgr/shared";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { snapshot } from "./helpers/pusher.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const EDITOR = "shop-editor-token-0123456789";
const SCOPE = { accountId: "acme", orgId: "web", projectId: "shop" };
const TEST = { name: "hostile", ...SCOPE, targetUrl: "http://127.0.0.1:9", scriptContent: SAMPLE_SCRIPT_B64 };

function nested(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 1; i < depth; i++) value = { deeper: value };
  return value;
}

interface ErrorBody {
  code: string;
  field?: string;
  message: string;
}

const AUTH = { authorization: `Bearer ${ADMIN_TOKEN}` };

describe("hostile input is refused without harm", () => {
  let server: TestServer;
  const admin = () => restClient(server.url);
  const editor = () => restClient(server.url, EDITOR);

  before(async () => {
    server = await startTestServer({
      security: { tokens: [{ name: "shop-ci", token: EDITOR, role: "editor", ...SCOPE }] },
    });
  });
  after(() => server.close());

  it("refuses metadata nested too deep or too large, stores nothing, and the list still answers", async () => {
    for (const depth of [9, 3_000, 5_000]) {
      // Written out by hand: JSON.stringify itself gives up on 5,000 levels.
      const metadata = `${'{"deeper":'.repeat(depth - 1)}{"leaf":true}${"}".repeat(depth - 1)}`;
      const res = await editor().post<ErrorBody>(
        "/v1/load-tests",
        `${JSON.stringify(TEST).slice(0, -1)},"metadata":${metadata}}`,
      );
      assert.equal(res.status, 400, `depth ${depth}`);
      assert.equal(res.body.code, "INVALID_INPUT");
      if (depth < 64) {
        assert.equal(res.body.field, "metadata");
        assert.match(res.body.message, /nested deeper than 8 levels/);
      } else {
        // Refused before anything parses it: the adapters walk a body recursively.
        assert.match(res.body.message, /the JSON body is nested deeper than 64 levels/);
      }
    }
    const big = await editor().post<ErrorBody>("/v1/load-tests", { ...TEST, metadata: { blob: "x".repeat(20_000) } });
    assert.equal(big.status, 400);
    assert.match(big.body.message, /at most 16384/);
    assert.equal((await editor().get<Page<LoadTest>>("/v1/load-tests")).body.items.length, 0);
    const fine = await editor().post<LoadTest>("/v1/load-tests", { ...TEST, metadata: nested(8) });
    assert.equal(fine.status, 201);
    const list = await fetch(`${server.url}/trpc/loadTests.list?input=${encodeURIComponent('{"json":{}}')}`, {
      headers: { authorization: `Bearer ${EDITOR}` },
    });
    assert.equal(list.status, 200);
  });

  it("refuses a body nested too deep on /trpc too", async () => {
    const res = await fetch(`${server.url}/trpc/loadTests.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: `{"json":${"[".repeat(5000)}${"]".repeat(5000)}}`,
    });
    assert.equal(res.status, 400);
    assert.match(((await res.json()) as ErrorBody).message, /nested deeper than 64 levels/);
  });

  it("answers malformed paths with 4xx, never 500", async () => {
    for (const path of [
      "/v1/runs/%zz/requests.csv",
      "/v1/runs/%E0%A4%A/metrics/timeseries.csv",
      "/v1/runs/%zz",
      "/v1/load-tests/%/runs",
      "/v1/runs/%00/summary",
      "/%zz",
      "/docs/%zz",
    ]) {
      const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    }
  });

  it("refuses query names an object already has (__proto__, constructor) with 400 at the name, never 500", async () => {
    // schemathesis found `?__proto__=1` answered 500: the OpenAPI layer's query parser took it as a property.
    for (const query of ["__proto__=1", "constructor=1&limit=2", "toString=x", "limit=2&hasOwnProperty=1"]) {
      for (const path of ["/v1/runs", "/v1/load-tests", `/v1/runs/${"0".repeat(26)}/metrics/timeseries`]) {
        const res = await fetch(`${server.url}${path}?${query}`, {
          headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
        });
        assert.equal(res.status, 400, `${path}?${query}`);
        const body = (await res.json()) as ErrorBody;
        assert.equal(body.code, "INVALID_INPUT");
        assert.ok(["__proto__", "constructor", "toString", "hasOwnProperty"].includes(body.field ?? ""), body.field);
      }
    }
  });

  it("records the token's own name as the actor; only the admin writes on someone's behalf", async () => {
    const forged = await editor().post<ErrorBody>("/v1/load-tests", { ...TEST, name: "forged", createdBy: "alice" });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.code, "ACTOR_NOT_ALLOWED");
    assert.equal(forged.body.field, "createdBy");
    const tests = (await editor().get<Page<LoadTest>>("/v1/load-tests")).body.items;
    assert.ok(!tests.some((t) => t.name === "forged"));
    const own = await editor().post<LoadTest>("/v1/load-tests", { ...TEST, name: "own", createdBy: "shop-ci" });
    assert.equal(own.body.createdBy, "shop-ci");
    const update = await editor().put<ErrorBody>(`/v1/load-tests/${own.body.id}`, {
      description: "x",
      updatedBy: "bob",
    });
    assert.equal(update.status, 403);
    assert.equal((await editor().get<LoadTest>(`/v1/load-tests/${own.body.id}`)).body.description, "");
    const stop = await editor().post<LoadTestRun>(`/v1/load-tests/${own.body.id}/runs`, { createdBy: "carol" });
    assert.equal(stop.status, 403);
    const behalf = await admin().post<LoadTest>("/v1/load-tests", { ...TEST, name: "behalf", createdBy: "alice" });
    assert.equal(behalf.status, 201);
    assert.equal(behalf.body.createdBy, "alice");
  });

  it("takes no coerced input: a boolean or null where a number belongs is refused, over REST and then tRPC", async () => {
    const spawn = await admin().post<ErrorBody>("/v1/load-tests", { ...TEST, defaultSpawnRate: null });
    assert.equal(spawn.status, 400);
    assert.equal(spawn.body.field, "defaultSpawnRate");
    const users = await admin().post<ErrorBody>("/v1/load-tests", { ...TEST, defaultUsers: "7" });
    assert.equal(users.status, 400);
    assert.equal(users.body.field, "defaultUsers");
    const trpc = await fetch(`${server.url}/trpc/loadTests.create`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ json: { ...TEST, defaultUsers: "7" } }),
    });
    assert.equal(trpc.status, 400);
    // Query strings are text: numbers declared for them still read as numbers.
    assert.equal((await admin().get("/v1/load-tests?limit=2")).status, 200);
    // At any depth: an object where a request sample's boolean belongs (found by schemathesis).
    const test = (await admin().post<LoadTest>("/v1/load-tests", TEST)).body;
    const run = (await admin().post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const sample = { timestamp: Date.now(), method: "GET", name: "/", responseMs: 1, success: {} };
    const deep = await locust.post<ErrorBody>("/v1/internal/locust/metrics", {
      ...snapshot(run.id, 1, {}, Date.now() - 5_000),
      requestSamples: [sample],
    });
    assert.equal(deep.status, 400, JSON.stringify(deep.body));
    assert.equal(deep.body.field, "requestSamples.0.success");
  });

  it("checks a run against today's target allow-list, not the one its test was saved under", async () => {
    const test = (await admin().post<LoadTest>("/v1/load-tests", { ...TEST, targetUrl: "http://evil.example:9" })).body;
    const restarted = await startTestServer(
      {
        security: {
          tokens: [{ name: "shop-ci", token: EDITOR, role: "editor", ...SCOPE }],
          targetAllowLists: [{ ...SCOPE, hosts: ["127.0.0.1"] }],
        },
      },
      { dataDir: server.dataDir },
    );
    try {
      const res = await restClient(restarted.url, EDITOR).post<ErrorBody>(`/v1/load-tests/${test.id}/runs`, {});
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "TARGET_NOT_ALLOWED");
      assert.match(res.body.message, /evil\.example/);
      const runs = await restClient(restarted.url).get<Page<LoadTestRun>>(`/v1/load-tests/${test.id}/runs`);
      assert.equal(runs.body.items.length, 0);
    } finally {
      await restarted.close();
    }
  });

  it("answers a method a path does not take with 405 and Allow, and a body that is not an object with 400", async () => {
    const trace = await fetch(`${server.url}/v1/load-tests`, { method: "PATCH", headers: AUTH });
    assert.equal(trace.status, 405);
    assert.equal(trace.headers.get("allow"), "POST, GET");
    assert.equal(((await trace.json()) as ErrorBody).code, "METHOD_NOT_ALLOWED");
    for (const body of ["-6732634", "[]", "null", '"text"']) {
      const res = await fetch(`${server.url}/v1/live-tickets`, {
        method: "POST",
        headers: { ...AUTH, "content-type": "application/json" },
        body,
      });
      assert.equal(res.status, 400, body);
      assert.match(((await res.json()) as ErrorBody).message, /must be a JSON object/);
    }
    const twice = await fetch(`${server.url}/v1/runs/some-run/metrics/timeseries.csv?to=5&to=0`, { headers: AUTH });
    assert.equal(twice.status, 400);
    assert.equal(((await twice.json()) as ErrorBody).field, "to");
    // A number in the query is written as one: coercion would read "" as 0 and "0x10" as 16.
    for (const query of ["to=", "to=%205", "limit=0x10", "afterSeq=1e"]) {
      for (const path of ["/v1/runs/some-run/metrics/timeseries", "/v1/runs/some-run/metrics/timeseries.csv"]) {
        if (path.endsWith(".csv") && !query.startsWith("to")) continue;
        const res = await fetch(`${server.url}${path}?${query}`, { headers: AUTH });
        assert.equal(res.status, 400, `${path}?${query}`);
        assert.equal(((await res.json()) as ErrorBody).field, query.split("=")[0]);
      }
    }
  });

  it("refuses ingest timed outside the run's life, and folds endpoint names past the cap into one row", async () => {
    const test = (await admin().post<LoadTest>("/v1/load-tests", TEST)).body;
    const run = (await admin().post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const base = Date.now() - 60_000;
    for (const timestamp of [Date.now() + 3_600_000, 1000]) {
      const res = await locust.post<ErrorBody>("/v1/internal/locust/metrics", { ...snapshot(run.id, 1), timestamp });
      assert.equal(res.status, 400);
      assert.equal(res.body.code, "TIMESTAMP_OUT_OF_RANGE");
      assert.equal(res.body.field, "timestamp");
    }
    const start = await locust.post<ErrorBody>("/v1/internal/locust/test-start", {
      runId: run.id,
      timestamp: Date.now() + 3_600_000,
    });
    assert.equal(start.body.code, "TIMESTAMP_OUT_OF_RANGE");
    assert.equal((await admin().get<LoadTestRun>(`/v1/runs/${run.id}`)).body.status, "Pending");

    const endpoints = (prefix: string) =>
      Array.from({ length: 1000 }, (_, i) => ({
        method: "GET",
        name: `${prefix}/${i}`,
        requests: 1,
        failures: 0,
        sumResponseMs: 5,
        minResponseMs: 5,
        maxResponseMs: 5,
        histogram: [[5, 1]] as [number, number][],
      }));
    for (const [seq, prefix] of [
      [1, "/a"],
      [2, "/b"],
    ] as const) {
      const body = { ...snapshot(run.id, seq, {}, base), endpoints: endpoints(prefix), totalRequests: 1000 * seq };
      assert.equal((await locust.post("/v1/internal/locust/metrics", body)).status, 200);
    }
    const requests = (await admin().get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    assert.equal(requests.endpoints.length, 1001);
    const other = requests.endpoints.find((e) => e.name.startsWith("(other endpoints"));
    assert.equal(other?.numRequests, 1000);
    assert.equal(requests.total.numRequests, 2000);
    const summary = (await admin().get<RunSummary>(`/v1/runs/${run.id}/summary`)).body;
    assert.match(summary.warnings.join(" "), /more than 1000 distinct endpoints/);
    assert.equal((await admin().get(`/v1/runs/${run.id}/metrics/aggregate`)).status, 200);
  });

  it("neutralises formulas in CSV cells (endpoint names come from scripts)", async () => {
    const test = (await admin().post<LoadTest>("/v1/load-tests", TEST)).body;
    const run = (await admin().post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    const locust = restClient(server.url, server.running.services.runTokens.issue(run.id));
    const names = ['=HYPERLINK("http://evil","x")', "+1+1", "-2", "@SUM(A1)", "\tTAB"];
    const push = await locust.post("/v1/internal/locust/metrics", {
      ...snapshot(run.id, 1),
      endpoints: names.map((name) => ({
        method: "GET",
        name,
        requests: 1,
        failures: 0,
        sumResponseMs: 1,
        minResponseMs: 1,
        maxResponseMs: 1,
        histogram: [[1, 1]],
      })),
    });
    assert.equal(push.status, 200);
    const csv = await (
      await fetch(`${server.url}/v1/runs/${run.id}/requests.csv`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).text();
    const cells = csv.split("\r\n").map((line) => line.split(",")[1] ?? "");
    for (const name of names) {
      const cell = cells.find((c) => c.includes(name.slice(1, 4)));
      assert.ok(cell?.startsWith(`"'`), `${name} → ${cell}`);
    }
  });

  it("sends security headers with every page and answer", async () => {
    const page = await fetch(`${server.url}/`);
    const csp = page.headers.get("content-security-policy") ?? "";
    assert.match(csp, /frame-ancestors 'none'/);
    assert.match(csp, /script-src 'self' 'sha256-[A-Za-z0-9+/=]+'/);
    assert.doesNotMatch(csp, /script-src[^;]*unsafe-inline/);
    for (const path of ["/", "/docs", "/healthz", "/v1/load-tests", "/openapi.json"]) {
      const res = await fetch(`${server.url}${path}`);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff", path);
      assert.equal(res.headers.get("x-frame-options"), "DENY", path);
      assert.match(res.headers.get("content-security-policy") ?? "", /frame-ancestors 'none'/, path);
    }
  });

  it("limits subscriptions per WebSocket and the size of a batch, answering each refused call", async () => {
    const socket = new WebSocket(`${server.url.replace("http", "ws")}/trpc`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    type Answer = { result?: { type: string }; error?: { json?: { message?: string; data?: { appCode?: string } } } };
    const answers = new Map<number, Answer>();
    socket.on("message", (data: Buffer) => {
      for (const message of [JSON.parse(data.toString()) as unknown].flat() as (Answer & { id: number })[]) {
        if (!answers.has(message.id)) answers.set(message.id, message);
      }
    });
    await new Promise((resolve) => socket.once("open", resolve));
    const subscribe = (id: number) => ({
      id,
      method: "subscription",
      params: { path: "runs.onStatus", input: { json: {} } },
    });
    // 150 subscriptions in frames of 50 (the batch limit), then one frame of 51.
    for (let frame = 0; frame < 3; frame++) {
      socket.send(JSON.stringify(Array.from({ length: 50 }, (_, i) => subscribe(frame * 50 + i + 1))));
    }
    socket.send(JSON.stringify(Array.from({ length: 51 }, (_, i) => subscribe(1000 + i))));
    const deadline = Date.now() + 10_000;
    while (answers.size < 201 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    const subscriptions = [...answers.entries()].filter(([id]) => id < 1000).map(([, answer]) => answer);
    assert.equal(subscriptions.filter((a) => a.result?.type === "started").length, 100);
    assert.equal(subscriptions.filter((a) => a.error?.json?.data?.appCode === "TOO_MANY_SUBSCRIPTIONS").length, 50);
    const oversized = [...answers.entries()].filter(([id]) => id >= 1000).map(([, answer]) => answer);
    assert.equal(oversized.length, 51);
    assert.ok(
      oversized.every((a) => a.result === undefined && /Batch call exceeds/.test(a.error?.json?.message ?? "")),
    );
    socket.close();
    // The slots come back when the connection goes.
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
