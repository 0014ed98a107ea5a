import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadTest, LoadTestRun, Page } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { freePort } from "./helpers/ports.js";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "./helpers/server.js";

const ROOT = resolve(import.meta.dirname, "..");
const BIN = join(ROOT, "client/bin/loadmgr.js");
const LOCUSTFILE = join(ROOT, "locust/examples/locustfile.py");

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `loadmgr` binary (no TTY), bounded to 90 s. */
function cli(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd: ROOT,
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
    child.on("exit", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr });
    });
  });
}

describe("the loadmgr CLI against a real server and real Locust", () => {
  let target: TargetApp;
  let server: TestServer;
  let configDir: string;
  let env: Record<string, string>;
  const SCOPE = ["--account", "acme", "--org", "web", "--project", "shop"];

  before(async () => {
    target = await startTargetApp();
    server = await startTestServer({ runner: { metricsIntervalSec: 1, local: { workers: 0 } } }, { role: "all" });
    configDir = mkdtempSync(join(tmpdir(), "loadmgr-cli-"));
    env = { LOADMGR_URL: server.url, LOADMGR_TOKEN: ADMIN_TOKEN, LOADMGR_CONFIG_DIR: configDir };
  });
  after(async () => {
    await server.close();
    await target.close();
    rmSync(configDir, { recursive: true, force: true });
  });

  const counts = async (): Promise<{ tests: number; runs: number }> => ({
    tests: (JSON.parse((await cli(["tests", "list", "--json"], env)).stdout) as Page<LoadTest>).items.length,
    runs: (JSON.parse((await cli(["runs", "list", "--json"], env)).stdout) as Page<LoadTestRun>).items.length,
  });

  async function createTest(): Promise<LoadTest> {
    const res = await cli(
      [
        "tests",
        "create",
        "-f",
        LOCUSTFILE,
        "--name",
        "CLI shop",
        "--target",
        target.url,
        ...SCOPE,
        "--duration",
        "3",
        "--users",
        "3",
        "--spawn-rate",
        "3",
        "--json",
      ],
      env,
    );
    assert.equal(res.code, 0, res.stderr);
    return JSON.parse(res.stdout) as LoadTest;
  }

  it("creates a test from a file, lists and shows it", async () => {
    const test = await createTest();
    assert.equal(test.defaultDurationSec, 3);
    assert.equal(test.latestRevisionNumber, 1);
    const list = await cli(["tests", "list"], env);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${test.id}\\s+CLI shop\\s+acme/web/shop`));
    const show = await cli(["tests", "show", test.id, "--json"], env);
    assert.equal((JSON.parse(show.stdout) as LoadTest).id, test.id);
  });

  it("runs a test to its end without a TTY, one line per snapshot, and exits 0 when every threshold holds", async () => {
    const test = await createTest();
    const res = await cli(
      ["run", test.id, "--threshold", "error_rate<50%", "--threshold", "rps>0.5", "--threshold", "GET /:p99<5000"],
      env,
    );
    assert.equal(res.code, 0, res.stdout + res.stderr);
    assert.match(res.stdout, /^seq 1 {2}users \d+ {2}rps [\d.]+ {2}errors [\d.]+% {2}p95 \d+ ms/m);
    assert.match(res.stdout, /Finished/);
    assert.match(res.stdout, /✓ error_rate<50% {2}\(measured [\d.]+\)/);
    assert.match(res.stdout, /✓ GET \/:p99<5000/);
    assert.ok((target.hits.get("/") ?? 0) > 0);
  });

  it("exits 99 when a threshold is breached, printing what was measured", async () => {
    const test = await createTest();
    const res = await cli(
      ["run", test.id, "--threshold", "p95<0", "--threshold", "POST /nowhere:p99<10", "--json"],
      env,
    );
    assert.equal(res.code, 99, res.stderr);
    const out = JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as {
      run: LoadTestRun;
      thresholds: { passed: boolean; verdicts: { threshold: string; measured: number | null; passed: boolean }[] };
    };
    assert.equal(out.run.status, "Finished");
    assert.equal(out.thresholds.passed, false);
    assert.deepEqual(
      out.thresholds.verdicts.map((v) => [v.threshold, v.passed]),
      [
        ["p95<0", false],
        ["POST /nowhere:p99<10", false],
      ],
    );
    assert.equal(out.thresholds.verdicts[1]?.measured, null);
  });

  it("starts a run and prints its id at once without --wait", async () => {
    const test = await createTest();
    const res = await cli(["run", test.id, "--duration", "2"], env);
    assert.equal(res.code, 0, res.stderr);
    const show = await cli(["runs", "show", res.stdout.trim(), "--json"], env);
    assert.equal((JSON.parse(show.stdout) as LoadTestRun).durationSeconds, 2);
  });

  it("refuses bad input with one line and a non-zero exit, creating nothing", async () => {
    const test = await createTest();
    const notPython = join(configDir, "script.txt");
    writeFileSync(notPython, "print(1)\n");
    const before = await counts();
    const cases: [string[], RegExp][] = [
      [["tests", "create", "-f", "/no/such/file.py", "--name", "x", "--target", target.url, ...SCOPE], /no such file/],
      [["tests", "create", "-f", notPython, "--name", "x", "--target", target.url, ...SCOPE], /not a Python file/],
      [
        ["tests", "create", "-f", LOCUSTFILE, "--name", "x", "--target", "ftp://x", ...SCOPE],
        /INVALID_INPUT.*targetUrl/,
      ],
      [["tests", "create", "-f", LOCUSTFILE, "--name", "x", "--target", target.url], /--account, --org and --project/],
      [["run", "no-such-test"], /LOAD_TEST_NOT_FOUND/],
      [["run", test.id, "--threshold", "p95 is fast"], /bad threshold/],
      [["run", test.id, "--threshold", "p97<300"], /unknown metric/],
      [["run", test.id, "--users", "many"], /--users must be a number/],
      [["run", test.id, "--duration", "99999"], /DURATION_ABOVE_MAX/],
      [["tests", "frobnicate"], /unknown command/],
      [["tests", "list", "--bogus"], /Unknown option/],
    ];
    for (const [args, message] of cases) {
      const res = await cli(args, env);
      assert.equal(res.code, 1, `${args.join(" ")}: ${res.stdout}${res.stderr}`);
      assert.match(res.stderr, message, args.join(" "));
      assert.equal(res.stderr.trim().split("\n").length, 1, `one line for ${args.join(" ")}: ${res.stderr}`);
    }
    assert.deepEqual(await counts(), before);
  });

  it("says what to do without a token, and when the server cannot be reached (exit 4)", async () => {
    const noToken = await cli(["tests", "list"], { LOADMGR_URL: server.url, LOADMGR_CONFIG_DIR: configDir });
    assert.equal(noToken.code, 1);
    assert.match(noToken.stderr, /no token: run `loadmgr login/);
    const port = await freePort();
    const unreachable = await cli(["tests", "list"], { ...env, LOADMGR_URL: `http://127.0.0.1:${port}` });
    assert.equal(unreachable.code, 4, unreachable.stderr);
    assert.match(unreachable.stderr, /could not reach the server/);
  });

  it("logs in once, then needs no flags or variables", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loadmgr-cli-login-"));
    try {
      const login = await cli(["login", "--url", server.url, "--token", ADMIN_TOKEN, ...SCOPE], {
        LOADMGR_CONFIG_DIR: dir,
      });
      assert.equal(login.code, 0, login.stderr);
      const created = await cli(
        ["tests", "create", "-f", LOCUSTFILE, "--name", "from profile", "--target", target.url],
        {
          LOADMGR_CONFIG_DIR: dir,
        },
      );
      assert.equal(created.code, 0, created.stderr);
      const bad = await cli(["login", "--url", server.url, "--token", "wrong-token-0000000000"], {
        LOADMGR_CONFIG_DIR: dir,
      });
      assert.equal(bad.code, 1);
      assert.match(bad.stderr, /UNAUTHORIZED/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
