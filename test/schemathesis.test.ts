import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadTest, LoadTestRun, ScriptRevision } from "@loadmgr/shared";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { pusher } from "./helpers/pusher.js";
import { buildOpenApiDocument } from "../server/src/http/openapi.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

/**
 * Schemathesis (PyPI, installed by scripts/setup-test.sh) fuzzes what is public: the published
 * document with an admin and a viewer token, and the ingest document with a real run's token. Every
 * check it has runs (see test/schemathesis/*.toml for the few rules JSON Schema cannot state): no
 * 5xx, no response outside the document, no invalid request accepted. The seed is fixed so that CI
 * repeats itself; SCHEMATHESIS_SEED=<n> explores others.
 */
const ST = ".venv/schemathesis/bin/st";
const SEED = process.env.SCHEMATHESIS_SEED ?? "1";
const VIEWER = "schemathesis-viewer-token-0123456789";
const SCOPE = { accountId: "acme", orgId: "web", projectId: "shop" };

interface Report {
  exit_code: number;
  operations: { total: number; tested: number; errored: number };
  test_cases: { generated: number; with_failures: number; errored: number };
  failures: unknown[];
  errors: unknown[];
}

async function schemathesis(
  config: string,
  location: string,
  extraArgs: string[],
  env: Record<string, string>,
): Promise<{ code: number | null; output: string; report: Report }> {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-st-"));
  const reportPath = join(dir, "report.json");
  const args = ["--config-file", config, "run", location, ...extraArgs, "--seed", SEED];
  args.push("--report", "json", "--report-json-path", reportPath, "--no-color");
  const child = spawn(ST, args, { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  const killer = setTimeout(() => child.kill("SIGKILL"), 300_000);
  const code = await new Promise<number | null>((resolve) => child.on("close", resolve));
  clearTimeout(killer);
  try {
    return { code, output, report: JSON.parse(readFileSync(reportPath, "utf-8")) as Report };
  } catch {
    assert.fail(`schemathesis wrote no report (exit ${code}):\n${output.slice(-8000)}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const operationCount = (internal: boolean): number =>
  Object.values(buildOpenApiDocument({ baseUrl: "/", internal }).paths ?? {}).flatMap((item) =>
    Object.keys(item as object),
  ).length;

function assertClean(result: { code: number | null; output: string; report: Report }, operations: number): void {
  const { report } = result;
  const tail = result.output.slice(-12_000);
  assert.equal(result.code, 0, `schemathesis failed (seed ${SEED}):\n${tail}`);
  assert.deepEqual(report.failures, [], tail);
  assert.deepEqual(report.errors, [], tail);
  // Proof that it ran: every operation tested, and many cases each.
  assert.equal(report.operations.total, operations, tail);
  assert.equal(report.operations.tested, operations, tail);
  assert.ok(report.test_cases.generated >= operations * 10, `only ${report.test_cases.generated} cases\n${tail}`);
}

describe("schemathesis finds no response outside the published documents", () => {
  let server: TestServer;
  let test: LoadTest;
  let run: LoadTestRun;
  let revision: ScriptRevision;
  before(async () => {
    server = await startTestServer({
      security: { tokens: [{ name: "st-viewer", token: VIEWER, role: "viewer", ...SCOPE }] },
    });
    const admin = restClient(server.url);
    const created = await admin.post<LoadTest>("/v1/load-tests", {
      ...SCOPE,
      name: "fuzzed",
      targetUrl: "http://127.0.0.1:9",
      scriptContent: SAMPLE_SCRIPT_B64,
    });
    assert.equal(created.status, 201);
    test = created.body;
    revision = (await admin.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`)).body;
    const started = await admin.post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {});
    assert.equal(started.status, 201);
    run = started.body;
    // Stored metrics, so that the viewer's reads of this run do real work.
    const locust = pusher(server, run.id);
    for (let seq = 1; seq <= 40; seq++) await locust.metrics(seq);
  });
  after(() => server.close());

  it("with the admin token: every operation, stateful sequences included", async () => {
    const result = await schemathesis("test/schemathesis/public.toml", `${server.url}/openapi.json`, [], {
      LM_TOKEN: ADMIN_TOKEN,
    });
    assertClean(result, operationCount(false));
  });

  it("with a viewer token, on a test and a run that exist: reads reach the data, writes are refused", async () => {
    const result = await schemathesis("test/schemathesis/viewer.toml", `${server.url}/openapi.json`, [], {
      LM_TOKEN: VIEWER,
      LM_RUN_ID: run.id,
      LM_LOAD_TEST_ID: test.id,
      LM_REVISION_ID: revision.id,
    });
    assertClean(result, operationCount(false));
    assert.equal((await restClient(server.url).get<LoadTest>(`/v1/load-tests/${test.id}`)).status, 200);
  });

  it("the ingest document with a run's own token", async () => {
    const target = (await restClient(server.url).post<LoadTestRun>(`/v1/load-tests/${test.id}/runs`, {})).body;
    const result = await schemathesis(
      "test/schemathesis/ingest.toml",
      "docs/openapi-ingest.yaml",
      ["--url", server.url],
      {
        LM_TOKEN: server.running.services.runTokens.issue(target.id),
        LM_RUN_ID: target.id,
        SCHEMATHESIS_HOOKS: "test/schemathesis/ingest_hooks.py",
      },
    );
    assertClean(result, operationCount(true));
    // The fuzzed reports reached the run: it left Pending.
    const after = (await restClient(server.url).get<LoadTestRun>(`/v1/runs/${target.id}`)).body;
    assert.notEqual(after.status, "Pending", JSON.stringify(after));
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
  });
});
