import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  encodeScript,
  MAX_SCRIPT_FILES,
  type ApiErrorBody,
  type LoadTest,
  type LoadTestRun,
  type ScriptFile,
  type ScriptRevision,
  type Secret,
} from "@loadmgr/shared";
import { SCOPE } from "./helpers/runs.js";
import { PRODUCTION_STACK, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const VIEWER = "projects-viewer-token-0123456789";
const OTHER_EDITOR = "projects-other-editor-0123456789";
const b64 = (text: string): string => Buffer.from(text, "utf-8").toString("base64");
const SCRIPT = encodeScript(
  "from locust import HttpUser, task\nclass U(HttpUser):\n    @task\n    def t(self):\n        self.client.get('/')\n",
);

describe("projects through the API: files, secrets, parameters and stages (validation, scope, nothing stored on a refusal)", () => {
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  const secretsPath = `/v1/secrets?accountId=${SCOPE.accountId}&orgId=${SCOPE.orgId}&projectId=${SCOPE.projectId}`;

  before(async () => {
    server = await startTestServer({
      security: {
        tokens: [
          { name: "viewer", token: VIEWER, role: "viewer", accountId: "acme" },
          { name: "other", token: OTHER_EDITOR, role: "editor", accountId: "acme", orgId: "web", projectId: "other" },
        ],
        targetAllowLists: [{ ...SCOPE, projectId: "locked", hosts: ["127.0.0.1"] }],
      },
    });
    api = restClient(server.url);
  });
  after(() => server.close());

  const create = (extra: Record<string, unknown>) =>
    api.post<LoadTest & ApiErrorBody>("/v1/load-tests", {
      ...SCOPE,
      name: "project",
      targetUrl: "http://127.0.0.1:9",
      scriptContent: SCRIPT,
      ...extra,
    });
  const testCount = async (): Promise<number> =>
    (await api.get<{ items: LoadTest[] }>("/v1/load-tests?limit=200")).body.items.length;

  it("refuses each bad file with 400, its code and field, and stores nothing", async () => {
    const cases: [unknown, string, string][] = [
      [[{ path: "../x.py", contentBase64: b64("x") }], "INVALID_FILE_PATH", "files.0.path"],
      [[{ path: "/etc/x", contentBase64: b64("x") }], "INVALID_FILE_PATH", "files.0.path"],
      [[{ path: "a/./b", contentBase64: b64("x") }], "INVALID_FILE_PATH", "files.0.path"],
      [[{ path: "locustfile.py", contentBase64: b64("x") }], "INVALID_FILE_PATH", "files.0.path"],
      [
        [
          { path: "a.py", contentBase64: b64("x") },
          { path: "a.py", contentBase64: b64("y") },
        ],
        "DUPLICATE_FILE_PATH",
        "files.1.path",
      ],
      [[{ path: "a.py", contentBase64: "%%%" }], "FILE_NOT_BASE64", "files.0.contentBase64"],
      [[{ path: "a.txt", contentBase64: b64("x"), split: true }], "INVALID_FILE_PATH", "files.0.split"],
      [[{ path: "a.py", contentBase64: b64("x"), mode: 755 }], "INVALID_INPUT", "files.0"],
      [
        Array.from({ length: MAX_SCRIPT_FILES + 1 }, (_, i) => ({ path: `f${i}.txt`, contentBase64: b64("x") })),
        "INVALID_INPUT",
        "files",
      ],
      [
        [
          { path: "a.bin", contentBase64: Buffer.alloc(6 * 1024 * 1024).toString("base64") },
          { path: "b.bin", contentBase64: Buffer.alloc(5 * 1024 * 1024).toString("base64") },
        ],
        "REVISION_TOO_LARGE",
        "files",
      ],
    ];
    const before = await testCount();
    for (const [files, code, field] of cases) {
      const res = await create({ files });
      assert.equal(res.status, 400, `${code}: ${JSON.stringify(res.body).slice(0, 300)}`);
      assert.equal(res.body.code, code);
      assert.equal(res.body.field, field);
      assert.ok(res.body.message.length > 0);
    }
    assert.equal(await testCount(), before);

    // And on a new revision: the test keeps its latest.
    const test = (await create({})).body;
    const bad = await api.put<ApiErrorBody>(`/v1/load-tests/${test.id}/script`, {
      scriptContent: SCRIPT,
      files: [{ path: "x/../../y", contentBase64: b64("x") }],
    });
    assert.deepEqual([bad.status, bad.body.code, bad.body.field], [400, "INVALID_FILE_PATH", "files.0.path"]);
    assert.equal((await api.get<LoadTest>(`/v1/load-tests/${test.id}`)).body.latestRevisionNumber, 1);
  });

  it("keeps files with their revision: listed, fetched one by one, carried over or dropped by a new revision", async () => {
    const big = Buffer.alloc(4 * 1024 * 1024, 0xab);
    const res = await create({
      files: [
        { path: "lib/helpers.py", contentBase64: b64("X = 1\n") },
        { path: "data/users.csv", contentBase64: b64("name\nann\n"), split: true },
        { path: "data/blob.bin", contentBase64: big.toString("base64") },
      ],
    });
    assert.equal(res.status, 201, JSON.stringify(res.body).slice(0, 300));
    const test = res.body;
    const first = (await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`)).body;
    assert.deepEqual(
      first.files.map((f) => [f.path, f.sizeBytes, f.split]),
      [
        ["data/blob.bin", big.length, false],
        ["data/users.csv", 9, true],
        ["lib/helpers.py", 6, false],
      ],
    );
    const file = (path: string, revisionId = first.id) =>
      api.get<ScriptFile & ApiErrorBody>(
        `/v1/load-tests/${test.id}/script/revisions/${revisionId}/file?path=${encodeURIComponent(path)}`,
      );
    assert.ok(Buffer.from((await file("data/blob.bin")).body.contentBase64, "base64").equals(big));
    assert.equal((await file("locustfile.py")).body.contentBase64, SCRIPT);
    const missing = await file("nope.py");
    assert.deepEqual([missing.status, missing.body.code, missing.body.field], [404, "FILE_NOT_FOUND", "path"]);

    // Files not sent: kept as they are. Sent: exactly those.
    const kept = await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, { scriptContent: SCRIPT });
    assert.deepEqual(
      kept.body.files.map((f) => f.sha256),
      first.files.map((f) => f.sha256),
    );
    assert.equal((await file("lib/helpers.py", kept.body.id)).body.contentBase64, b64("X = 1\n"));
    const changed = await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, {
      scriptContent: SCRIPT,
      files: [{ path: "lib/helpers.py", contentBase64: b64("X = 2\n") }],
    });
    assert.deepEqual(
      changed.body.files.map((f) => f.path),
      ["lib/helpers.py"],
    );
    // The older revisions are as they were.
    assert.equal((await file("lib/helpers.py")).body.contentBase64, b64("X = 1\n"));
    const dropped = await api.put<ScriptRevision>(`/v1/load-tests/${test.id}/script`, {
      scriptContent: SCRIPT,
      files: [],
    });
    assert.deepEqual(dropped.body.files, []);
  });

  it("keeps secrets' values to itself: set, listed by name, never returned, encrypted at rest", async () => {
    const value = "p4ss-SECRET-VALUE-at-rest";
    const put = await api.put<Secret & { created: boolean }>("/v1/secrets/SHOP_API_KEY", { ...SCOPE, value });
    assert.equal(put.status, 200, JSON.stringify(put.body));
    assert.deepEqual(
      [put.body.name, put.body.envId, put.body.created, put.body.createdBy],
      ["SHOP_API_KEY", null, true, "admin"],
    );
    const again = await api.put<Secret & { created: boolean }>("/v1/secrets/SHOP_API_KEY", {
      ...SCOPE,
      value: `${value}-2`,
    });
    assert.equal(again.body.created, false);
    await api.put("/v1/secrets/SHOP_API_KEY", { ...SCOPE, envId: "prod", value: "prod-only-value" });
    const listed = await api.get<{ items: Secret[] }>(secretsPath);
    assert.deepEqual(
      listed.body.items.map((s) => [s.name, s.envId]),
      [
        ["SHOP_API_KEY", null],
        ["SHOP_API_KEY", "prod"],
      ],
    );
    for (const body of [put.body, again.body, listed.body]) {
      const text = JSON.stringify(body);
      assert.equal(text.includes(value), false);
      assert.equal(text.includes("prod-only"), false);
      assert.equal(text.includes("ciphertext"), false);
    }
    if (!PRODUCTION_STACK) {
      const raw = readFileSync(join(server.dataDir, "loadmgr.sqlite"));
      assert.equal(raw.includes(Buffer.from(value)), false, "the value is not in the database file as it is");
    }
  });

  it("lets viewers see names only, and editors of other projects nothing of this one's", async () => {
    const viewer = restClient(server.url, VIEWER);
    assert.equal((await viewer.get<{ items: Secret[] }>(secretsPath)).status, 200);
    const refused = await viewer.put<ApiErrorBody>("/v1/secrets/X_KEY", { ...SCOPE, value: "abcd" });
    assert.deepEqual([refused.status, refused.body.code], [403, "READ_ONLY_TOKEN"]);
    const other = restClient(server.url, OTHER_EDITOR);
    const outside = await other.put<ApiErrorBody>("/v1/secrets/X_KEY", { ...SCOPE, value: "abcd" });
    assert.deepEqual([outside.status, outside.body.code, outside.body.field], [403, "OUT_OF_SCOPE", "projectId"]);
    assert.equal((await other.get<ApiErrorBody>(secretsPath)).body.code, "OUT_OF_SCOPE");
  });

  it("refuses bad secrets, and tests or runs that name a secret their scope lacks", async () => {
    const cases: [string, Record<string, unknown>, string, string][] = [
      ["OK_NAME", { value: "abc" }, "INVALID_INPUT", "value"],
      ["1BAD", { value: "abcd" }, "INVALID_ENV_NAME", "name"],
      ["LOADMGR_TOKEN", { value: "abcd" }, "INVALID_ENV_NAME", "name"],
      ["OK_NAME", { value: "abcd", envId: "bad env" }, "INVALID_INPUT", "envId"],
    ];
    for (const [name, body, code, field] of cases) {
      const res = await api.put<ApiErrorBody>(`/v1/secrets/${name}`, { ...SCOPE, ...body });
      assert.deepEqual([res.status, res.body.code, res.body.field], [400, code, field], JSON.stringify(res.body));
    }
    const tooLong = await api.put<ApiErrorBody>("/v1/secrets/LONG_KEY", { ...SCOPE, value: "x".repeat(16_385) });
    assert.deepEqual([tooLong.status, tooLong.body.field], [400, "value"]);
    assert.equal((await api.put("/v1/secrets/LONG_KEY", { ...SCOPE, value: "x".repeat(16_384) })).status, 200);
    const before = await testCount();
    const limits: [Record<string, unknown>, string][] = [
      [{ secrets: Array.from({ length: 51 }, (_, i) => `S${i}`) }, "secrets"],
      [{ secrets: ["LONG_KEY", "LONG_KEY"] }, "secrets"],
      [{ env: Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`P${i}`, "v"])) }, "env"],
      [{ env: { BIG: "v".repeat(4097) } }, "env.BIG"],
      [
        { defaultStages: Array.from({ length: 51 }, () => ({ durationSec: 1, users: 1, spawnRate: 1 })) },
        "defaultStages",
      ],
      [{ defaultStages: [{ durationSec: 5, users: 0, spawnRate: 1 }] }, "defaultStages"],
    ];
    for (const [body, field] of limits) {
      const res = await create(body);
      assert.deepEqual([res.status, res.body.field], [400, field], JSON.stringify(res.body).slice(0, 300));
    }
    const unknown = await create({ secrets: ["NOT_SET_ANYWHERE"] });
    assert.deepEqual([unknown.status, unknown.body.code, unknown.body.field], [400, "SECRET_NOT_FOUND", "secrets"]);
    assert.match(unknown.body.message, /NOT_SET_ANYWHERE/);
    assert.equal(await testCount(), before);
    // An env's own secret serves that env only.
    await api.put("/v1/secrets/STAGING_ONLY", { ...SCOPE, envId: "staging", value: "staging-value" });
    assert.equal((await create({ secrets: ["STAGING_ONLY"] })).body.code, "SECRET_NOT_FOUND");
    const staging = await create({ secrets: ["STAGING_ONLY"], envId: "staging" });
    assert.equal(staging.status, 201, JSON.stringify(staging.body));
    const moved = await api.post<ApiErrorBody>(`/v1/load-tests/${staging.body.id}/runs`, { envId: "prod" });
    assert.deepEqual([moved.status, moved.body.code], [400, "SECRET_NOT_FOUND"]);
    const deleted = await api.del<{ deleted: boolean }>(
      `/v1/secrets/STAGING_ONLY?accountId=acme&orgId=web&projectId=shop&envId=staging`,
    );
    assert.equal(deleted.status, 200);
    const gone = await api.del<ApiErrorBody>(
      `/v1/secrets/STAGING_ONLY?accountId=acme&orgId=web&projectId=shop&envId=staging`,
    );
    assert.deepEqual([gone.status, gone.body.code], [404, "NOT_FOUND"]);
  });

  it("checks parameters, stages and a run's overrides, and records what the run runs with", async () => {
    const badEnv = await create({ env: { "NOT-OK": "x" } });
    assert.deepEqual([badEnv.status, badEnv.body.code, badEnv.body.field], [400, "INVALID_ENV_NAME", "env.NOT-OK"]);
    const longStages = await create({
      maxDurationSec: 60,
      defaultStages: [{ durationSec: 61, users: 1, spawnRate: 1 }],
    });
    assert.deepEqual(
      [longStages.status, longStages.body.code, longStages.body.field],
      [400, "DURATION_ABOVE_MAX", "defaultStages"],
    );

    const shaped = encodeScript(
      "from locust import HttpUser, LoadTestShape, task\nclass Ramp(LoadTestShape):\n    def tick(self):\n        return None\nclass U(HttpUser):\n    @task\n    def t(self):\n        pass\n",
    );
    const test = (
      await create({ projectId: "locked", env: { GREETING: "hi", MODE: "a" }, scriptContent: shaped, tags: ["t1"] })
    ).body;
    const run = (body: Record<string, unknown>) =>
      api.post<LoadTestRun & ApiErrorBody>(`/v1/load-tests/${test.id}/runs`, body);
    const stages = [
      { durationSec: 5, users: 2, spawnRate: 1 },
      { durationSec: 5, users: 6, spawnRate: 2 },
    ];
    const conflict = await run({ stages, durationSec: 10 });
    assert.deepEqual([conflict.status, conflict.body.code, conflict.body.field], [400, "STAGES_CONFLICT", "stages"]);
    const notAllowed = await run({ targetUrl: "http://example.com" });
    assert.deepEqual(
      [notAllowed.status, notAllowed.body.code, notAllowed.body.field],
      [400, "TARGET_NOT_ALLOWED", "targetUrl"],
    );
    const tooLong = await run({ stages: [{ durationSec: 3601, users: 1, spawnRate: 1 }] });
    assert.deepEqual([tooLong.status, tooLong.body.code], [400, "DURATION_ABOVE_MAX"]);
    const badStage = await run({ stages: [{ durationSec: 5, users: 1, spawnRate: 0 }] });
    assert.deepEqual([badStage.status, badStage.body.field], [400, "stages.0.spawnRate"]);
    const runs = await api.get<{ items: LoadTestRun[] }>(`/v1/runs?loadTestId=${test.id}`);
    assert.equal(runs.body.items.length, 0, "no refused run was stored");

    const ok = await run({
      stages,
      targetUrl: "http://127.0.0.1:8",
      envId: "qa",
      tags: ["override"],
      env: { MODE: "b" },
    });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    assert.deepEqual(
      [
        ok.body.targetUrl,
        ok.body.envId,
        ok.body.tags,
        ok.body.env,
        ok.body.stages,
        ok.body.durationSec,
        ok.body.targetUsers,
      ],
      ["http://127.0.0.1:8", "qa", ["override"], { GREETING: "hi", MODE: "b" }, stages, 10, 6],
    );
    assert.match(ok.body.shapeNote ?? "", /the run's stages drive the load; the script's shape class Ramp is not used/);
    const plain = await run({ durationSec: 5 });
    assert.deepEqual([plain.body.targetUrl, plain.body.tags, plain.body.stages], ["http://127.0.0.1:9", ["t1"], null]);
    assert.match(plain.body.shapeNote ?? "", /shape class Ramp drives the load/);
  });
});
