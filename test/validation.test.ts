import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  MAX_SCRIPT_BYTES,
  encodeScript,
  type LoadTest,
  type LoadTestRun,
  type Page,
  type ScriptRevision,
} from "@loadmgr/shared";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { restClient, startTestServer, type TestServer } from "./helpers/server.js";

const VALID = {
  name: "Valid",
  accountId: "acme",
  orgId: "web",
  projectId: "shop",
  targetUrl: "http://127.0.0.1:8089",
  scriptContent: SAMPLE_SCRIPT_B64,
};

interface ErrorBody {
  code: string;
  message: string;
  field?: string;
}

describe("bad input: a clear 4xx with code, message and field, and nothing changed", () => {
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let existing: LoadTest;

  before(async () => {
    server = await startTestServer({
      security: {
        targetAllowLists: [
          { accountId: "acme", orgId: "web", projectId: "locked", hosts: ["127.0.0.1", "*.internal.test"] },
        ],
      },
    });
    api = restClient(server.url);
    existing = (await api.post<LoadTest>("/v1/load-tests", { ...VALID, maxDurationSec: 300, defaultDurationSec: 60 }))
      .body;
  });
  after(() => server.close());

  async function snapshot(): Promise<string> {
    const tests = await api.get<Page<LoadTest>>("/v1/load-tests?limit=200");
    const revisions = await api.get<Page<ScriptRevision>>(`/v1/load-tests/${existing.id}/script/revisions?limit=200`);
    const runs = await api.get<Page<LoadTestRun>>("/v1/runs?limit=200");
    return JSON.stringify([tests.body, revisions.body, runs.body]);
  }

  async function expectRejected(
    call: () => Promise<{ status: number; body: unknown }>,
    status: number,
    code: string,
    field?: string,
  ): Promise<void> {
    const before = await snapshot();
    const res = await call();
    const body = res.body as ErrorBody;
    assert.equal(res.status, status, JSON.stringify(body));
    assert.equal(body.code, code);
    assert.ok(body.message.length > 0);
    if (field !== undefined) assert.equal(body.field, field);
    assert.equal(await snapshot(), before, "the rejected request changed stored state");
  }

  const create = (patch: Record<string, unknown>) => () => api.post("/v1/load-tests", { ...VALID, ...patch });

  it("rejects a script that is not base64", () =>
    expectRejected(create({ scriptContent: "not base64!!" }), 400, "SCRIPT_NOT_BASE64", "scriptContent"));
  it("rejects an empty script", () =>
    expectRejected(create({ scriptContent: "" }), 400, "SCRIPT_EMPTY", "scriptContent"));
  it("rejects a whitespace-only script", () =>
    expectRejected(create({ scriptContent: encodeScript("  \n\t\n") }), 400, "SCRIPT_EMPTY", "scriptContent"));
  it("rejects a script that is not UTF-8", () =>
    expectRejected(
      create({ scriptContent: Buffer.from([0x66, 0x6f, 0xff, 0xfe, 0x0a]).toString("base64") }),
      400,
      "SCRIPT_NOT_UTF8",
      "scriptContent",
    ));
  it("rejects a script over 1 MiB", () =>
    expectRejected(
      create({ scriptContent: encodeScript("#".repeat(MAX_SCRIPT_BYTES + 1)) }),
      400,
      "SCRIPT_TOO_LARGE",
      "scriptContent",
    ));
  it("accepts a script of exactly 1 MiB", async () => {
    const res = await api.post<LoadTest>("/v1/load-tests", {
      ...VALID,
      accountId: "big",
      scriptContent: encodeScript("#".repeat(MAX_SCRIPT_BYTES)),
    });
    assert.equal(res.status, 201);
    await api.del(`/v1/load-tests/${res.body.id}`);
  });
  it("refuses a script of megabytes within the body limit with 400 SCRIPT_TOO_LARGE, not a crash", () =>
    expectRejected(create({ scriptContent: "A".repeat(12 * 1024 * 1024) }), 400, "SCRIPT_TOO_LARGE", "scriptContent"));
  it("rejects a body over the size limit with 413", () =>
    expectRejected(create({ scriptContent: "A".repeat(17 * 1024 * 1024) }), 413, "PAYLOAD_TOO_LARGE"));
  for (const field of ["accountId", "orgId", "projectId"]) {
    it(`rejects a missing ${field}`, () => expectRejected(create({ [field]: undefined }), 400, "INVALID_INPUT", field));
  }
  it("rejects an empty name", () => expectRejected(create({ name: "  " }), 400, "INVALID_INPUT", "name"));
  it("rejects users below 1", () => expectRejected(create({ defaultUsers: 0 }), 400, "INVALID_INPUT", "defaultUsers"));
  it("rejects fractional users", () =>
    expectRejected(create({ defaultUsers: 1.5 }), 400, "INVALID_INPUT", "defaultUsers"));
  it("rejects a spawn rate of 0", () =>
    expectRejected(create({ defaultSpawnRate: 0 }), 400, "INVALID_INPUT", "defaultSpawnRate"));
  it("rejects a negative spawn rate", () =>
    expectRejected(create({ defaultSpawnRate: -2 }), 400, "INVALID_INPUT", "defaultSpawnRate"));
  it("rejects a duration of 0", () =>
    expectRejected(create({ defaultDurationSec: 0 }), 400, "INVALID_INPUT", "defaultDurationSec"));
  it("rejects a max duration of 0", () =>
    expectRejected(create({ maxDurationSec: 0 }), 400, "INVALID_INPUT", "maxDurationSec"));
  it("rejects a default duration above the max", () =>
    expectRejected(
      create({ defaultDurationSec: 601, maxDurationSec: 600 }),
      400,
      "DURATION_ABOVE_MAX",
      "defaultDurationSec",
    ));
  it("rejects a target that is not http(s)", () =>
    expectRejected(create({ targetUrl: "ftp://127.0.0.1/" }), 400, "INVALID_INPUT", "targetUrl"));
  it("rejects a target that is not a URL", () =>
    expectRejected(create({ targetUrl: "localhost:8080" }), 400, "INVALID_INPUT", "targetUrl"));
  it("rejects an unknown field rather than ignoring it", () =>
    expectRejected(create({ defaultUser: 5 }), 400, "INVALID_INPUT"));
  it("rejects a body that is not JSON", () =>
    expectRejected(() => api.post("/v1/load-tests", "{name:"), 400, "INVALID_INPUT"));
  it("rejects a push-mode cluster: they are retired", () =>
    expectRejected(create({ locustClusterId: "nope" }), 400, "CLUSTERS_RETIRED", "locustClusterId"));
  it("rejects a test naming the servers' own pool as its agent pool", () =>
    expectRejected(create({ agentPool: "local" }), 400, "UNKNOWN_AGENT_POOL", "agentPool"));
  for (const entry of [
    "",
    "host:0",
    "host:70000",
    "-bad.example.com",
    "127.0.0.1",
    "localhost",
    "[::1",
    "10.0.0.0/8:80",
    "10.0.0.0/33",
    "a b",
  ]) {
    it(`rejects an allowed host that is not one (${JSON.stringify(entry)})`, () =>
      expectRejected(create({ allowedHosts: ["api.example.com", entry] }), 400, "INVALID_INPUT", "allowedHosts.1"));
  }
  it("rejects more than 50 allowed hosts", () =>
    expectRejected(
      create({ allowedHosts: Array.from({ length: 51 }, (_, i) => `h${i}.example.com`) }),
      400,
      "INVALID_INPUT",
      "allowedHosts",
    ));
  it("rejects an allowed host off the project's allow-list", () =>
    expectRejected(
      create({
        projectId: "locked",
        targetUrl: "http://127.0.0.1:8089/",
        allowedHosts: ["auth.internal.test", "evil.example.com"],
      }),
      400,
      "TARGET_NOT_ALLOWED",
      "allowedHosts.1",
    ));
  it("keeps the hosts a test allows, and accepts an IPv6 target", async () => {
    const allowedHosts = [
      "127.0.0.1:9000",
      "auth.example.com",
      "*.cdn.example.com:443",
      "10.1.0.0/16",
      "[2001:db8::5]:80",
    ];
    const res = await api.post<LoadTest>("/v1/load-tests", {
      ...VALID,
      targetUrl: "http://[2001:db8::1]:8080/",
      allowedHosts,
    });
    assert.equal(res.status, 201, JSON.stringify(res.body));
    assert.deepEqual(res.body.allowedHosts, allowedHosts);
    const updated = await api.put<LoadTest>(`/v1/load-tests/${res.body.id}`, { allowedHosts: [] });
    assert.deepEqual(updated.body.allowedHosts, []);
    await api.del(`/v1/load-tests/${res.body.id}`);
  });
  it("rejects a target off the project's allow-list", () =>
    expectRejected(
      create({ projectId: "locked", targetUrl: "http://127.0.0.2/" }),
      400,
      "TARGET_NOT_ALLOWED",
      "targetUrl",
    ));
  it("accepts a target on the project's allow-list", async () => {
    const res = await api.post<LoadTest>("/v1/load-tests", {
      ...VALID,
      projectId: "locked",
      targetUrl: "https://api.internal.test/",
    });
    assert.equal(res.status, 201);
    await api.del(`/v1/load-tests/${res.body.id}`);
  });

  it("rejects an update that puts the default duration above the max", () =>
    expectRejected(
      () => api.put(`/v1/load-tests/${existing.id}`, { maxDurationSec: 30 }),
      400,
      "DURATION_ABOVE_MAX",
      "maxDurationSec",
    ));
  it("rejects an update with an empty name", () =>
    expectRejected(() => api.put(`/v1/load-tests/${existing.id}`, { name: "" }), 400, "INVALID_INPUT", "name"));
  it("rejects an update of the scope ids or the script", () =>
    expectRejected(() => api.put(`/v1/load-tests/${existing.id}`, { accountId: "x" }), 400, "INVALID_INPUT"));
  it("rejects an update that names a push-mode cluster", () =>
    expectRejected(
      () => api.put(`/v1/load-tests/${existing.id}`, { locustClusterId: "nope" }),
      400,
      "CLUSTERS_RETIRED",
      "locustClusterId",
    ));
  it("rejects a bad script edit", () =>
    expectRejected(
      () => api.put(`/v1/load-tests/${existing.id}/script`, { scriptContent: "%%%" }),
      400,
      "SCRIPT_NOT_BASE64",
      "scriptContent",
    ));

  it("rejects run overrides that are not positive", async () => {
    await expectRejected(
      () => api.post(`/v1/load-tests/${existing.id}/runs`, { targetUsers: 0 }),
      400,
      "INVALID_INPUT",
      "targetUsers",
    );
    await expectRejected(
      () => api.post(`/v1/load-tests/${existing.id}/runs`, { spawnRate: 0 }),
      400,
      "INVALID_INPUT",
      "spawnRate",
    );
    await expectRejected(
      () => api.post(`/v1/load-tests/${existing.id}/runs`, { durationSec: -5 }),
      400,
      "INVALID_INPUT",
      "durationSec",
    );
  });
  it("rejects a run with a threshold that does not parse, naming which one and why", async () => {
    const run = (thresholds: unknown) => () => api.post(`/v1/load-tests/${existing.id}/runs`, { thresholds });
    await expectRejected(run(["p95<300", "p95 is fast"]), 400, "INVALID_INPUT", "thresholds.1");
    await expectRejected(run(["p97<300"]), 400, "INVALID_INPUT", "thresholds.0");
    await expectRejected(run(["rps<5%"]), 400, "INVALID_INPUT", "thresholds.0");
    await expectRejected(run(["error_rate<5ms"]), 400, "INVALID_INPUT", "thresholds.0");
    await expectRejected(run([""]), 400, "INVALID_INPUT", "thresholds.0");
    await expectRejected(run("p95<300"), 400, "INVALID_INPUT", "thresholds");
    await expectRejected(run(Array.from({ length: 51 }, () => "p95<300")), 400, "INVALID_INPUT", "thresholds");
    const res = await run(["p97<300"])();
    assert.match(String(res.body.message), /unknown metric "p97"/);
  });
  it("rejects a run longer than the test's max duration", () =>
    expectRejected(
      () => api.post(`/v1/load-tests/${existing.id}/runs`, { durationSec: 301 }),
      400,
      "DURATION_ABOVE_MAX",
      "durationSec",
    ));

  it("answers unknown ids with 404", async () => {
    await expectRejected(() => api.get("/v1/load-tests/missing"), 404, "LOAD_TEST_NOT_FOUND", "id");
    await expectRejected(() => api.put("/v1/load-tests/missing", { name: "x" }), 404, "LOAD_TEST_NOT_FOUND", "id");
    await expectRejected(() => api.del("/v1/load-tests/missing"), 404, "LOAD_TEST_NOT_FOUND", "id");
    await expectRejected(() => api.get("/v1/load-tests/missing/script"), 404, "LOAD_TEST_NOT_FOUND", "id");
    await expectRejected(
      () => api.put("/v1/load-tests/missing/script", { scriptContent: SAMPLE_SCRIPT_B64 }),
      404,
      "LOAD_TEST_NOT_FOUND",
    );
    await expectRejected(
      () => api.get(`/v1/load-tests/${existing.id}/script/revisions/missing`),
      404,
      "REVISION_NOT_FOUND",
      "revisionId",
    );
    await expectRejected(() => api.post("/v1/load-tests/missing/runs", {}), 404, "LOAD_TEST_NOT_FOUND", "id");
    await expectRejected(() => api.get("/v1/runs/missing"), 404, "RUN_NOT_FOUND", "id");
    await expectRejected(() => api.post("/v1/runs/missing/stop"), 404, "RUN_NOT_FOUND", "id");
  });

  it("refuses an illegal status transition with 409", async () => {
    const run = (await api.post<LoadTestRun>(`/v1/load-tests/${existing.id}/runs`, {})).body;
    assert.ok(await server.running.services.runs.end(run, "Failed", "ended by the test", "runner"));
    await expectRejected(() => api.post(`/v1/runs/${run.id}/stop`), 409, "INVALID_TRANSITION", "id");
  });

  it("rejects bad paging", async () => {
    await expectRejected(() => api.get("/v1/load-tests?limit=0"), 400, "INVALID_INPUT", "limit");
    await expectRejected(() => api.get("/v1/load-tests?limit=abc"), 400, "INVALID_INPUT", "limit");
    await expectRejected(() => api.get("/v1/load-tests?cursor=zzz"), 400, "INVALID_INPUT", "cursor");
    await expectRejected(() => api.get("/v1/runs?status=Done"), 400, "INVALID_INPUT", "status");
  });
});
