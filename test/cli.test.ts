import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { LoadTest, LoadTestRun, Page, RequestStats, ScriptRevision } from "@loadmgr/shared";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { BIN, cli, ROOT, type CliResult } from "./helpers/cli.js";
import { freePort } from "./helpers/ports.js";
import { collectedFile } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";

const LOCUSTFILE = join(ROOT, "locust/examples/locustfile.py");

type Result = CliResult;

/** Python's pty module: runs the command on a pseudo-terminal, relaying our stdin to it and its output to us. */
const PTY_RELAY = "import pty, sys; sys.exit(pty.spawn(sys.argv[1:]) >> 8)";

interface Terminal {
  type: (keys: string) => void;
  /** Resolves with everything shown so far once `pattern` appears in it; rejects after `ms`. */
  waitFor: (pattern: RegExp, ms?: number) => Promise<string>;
  exited: Promise<Result>;
}

/** Terminals still open: a failed test leaves none behind. */
const terminals = new Set<ChildProcess>();

/** Runs the real `loadmgr` binary on a pseudo-terminal, as a person at a terminal would, bounded to 90 s. */
function cliOnTerminal(args: string[], env: Record<string, string>): Terminal {
  const child = spawn("python3", ["-c", PTY_RELAY, process.execPath, BIN, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", TERM: "xterm", ...env },
    stdio: ["pipe", "pipe", "pipe"],
  });
  terminals.add(child);
  let shown = "";
  let stderr = "";
  const waiters = new Set<() => void>();
  child.stdout.on("data", (chunk: Buffer) => {
    shown += chunk.toString();
    for (const check of waiters) check();
  });
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const timer = setTimeout(() => child.kill("SIGKILL"), 90_000);
  const exited = new Promise<Result>((done) =>
    child.on("exit", (code) => {
      clearTimeout(timer);
      terminals.delete(child);
      child.stdin.end();
      done({ code, stdout: shown, stderr });
    }),
  );
  return {
    type: (keys) => child.stdin.write(keys),
    waitFor: (pattern, ms = 30_000) =>
      new Promise((found, fail) => {
        const check = (): void => {
          if (!pattern.test(shown)) return;
          waiters.delete(check);
          clearTimeout(timeout);
          found(shown);
        };
        const timeout = setTimeout(() => {
          waiters.delete(check);
          fail(new Error(`${pattern} did not appear within ${ms} ms; the terminal shows:\n${shown}${stderr}`));
        }, ms);
        waiters.add(check);
        check();
      }),
    exited,
  };
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
    for (const child of terminals) child.kill("SIGKILL");
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
    assert.match(
      res.stdout,
      // (p95 "–": an interval that timed no request, the first while users start, has none.)
      /^seq 1 {2}users \d+ {2}rps [\d.]+ {2}errors [\d.]+% {2}p95 (\d+ ms|–)/m,
      res.stdout + res.stderr,
    );
    assert.match(res.stdout, /Finished/, res.stdout + res.stderr);
    assert.match(res.stdout, /✓ error_rate<50% {2}\(measured [\d.]+\)/, res.stdout);
    assert.match(res.stdout, /✓ GET \/:p99<5000/, res.stdout);
    assert.ok((target.hits.get("/") ?? 0) > 0);
  });

  it("exits 98 on a run without success (its target down), 0 with --allow-no-success; lists filter by outcome", async () => {
    const test = await createTest();
    const down = ["run", test.id, "--target", "http://127.0.0.1:9", "--wait"];
    const res = await cli(down, env);
    assert.equal(res.code, 98, res.stdout + res.stderr);
    const [, runId] = /run (\S+) Finished\noutcome: no-success\n/.exec(res.stdout) ?? [];
    assert.ok(runId !== undefined, res.stdout);
    const run = (await restClient(server.url).get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    assert.equal(run.outcome, "no-success");
    assert.equal(run.results?.errorRatePercent, 100);
    // A run without success is no baseline to measure others against.
    const asBaseline = await cli(["runs", "baseline", runId ?? ""], env);
    assert.equal(asBaseline.code, 1);
    assert.match(
      asBaseline.stderr,
      /Finished without success: only a Finished or Stopped run whose requests succeeded/,
    );
    assert.equal((await cli([...down, "--allow-no-success"], env)).code, 0);
    const listed = await cli(["runs", "list", "--test", test.id, "--outcome", "no-success", "--json"], env);
    const items = (JSON.parse(listed.stdout) as { items: LoadTestRun[] }).items;
    assert.equal(items.length, 2);
    assert.ok(items.every((r) => r.outcome === "no-success"));
    const wrong = await cli(["runs", "list", "--outcome", "green"], env);
    assert.equal(wrong.code, 1);
    assert.match(wrong.stderr, /--outcome must be one of passed, failed, aborted, regressed, no-success/);
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
      requests: RequestStats;
    };
    assert.equal(out.run.status, "Finished");
    assert.equal(out.run.verdict?.passed, false);
    assert.deepEqual(out.run.verdict.checks, [
      { threshold: "p95<0", measured: out.requests.total.p95ResponseMs, passed: false },
      { threshold: "POST /nowhere:p99<10", measured: null, passed: false },
    ]);
    assert.ok(out.requests.total.numRequests > 0);
    // The verdict is the server's, stored on the run: anyone who looks at the run later sees it.
    const show = await cli(["runs", "show", out.run.id, "--json"], env);
    assert.deepEqual((JSON.parse(show.stdout) as LoadTestRun).verdict, out.run.verdict);
  });

  it("watches a run on a terminal: a progress bar with a refreshing line, and Ctrl-C asks before stopping", async () => {
    const test = await createTest();
    const api = restClient(server.url);
    // A line redrawn in place: carriage return, erase line, bar, percent, figures.
    const redraw = new RegExp(
      String.raw`\r\x1b\[2K\[([#.]{24})\] +(\d+)% {2}users \d+ {2}rps [\d.]+ {2}errors [\d.]+% {2}p95 (?:\d+ ms|–) {2}requests \d+`,
      "g",
    );

    // Ctrl-C, then "no": the run goes on, and the CLI stops watching.
    const kept = cliOnTerminal(["run", test.id, "--watch", "--duration", "60"], env);
    const [, runId] = /run (\S+) started \(60 s\)/.exec(await kept.waitFor(/run \S+ started/)) ?? [];
    assert.ok(runId !== undefined);
    // The bar moves on between redraws as the duration passes.
    const percents = [...(await kept.waitFor(/\] +([5-9]|\d\d)% {2}users/)).matchAll(redraw)].map((m) => Number(m[2]));
    assert.ok(percents.length >= 2, "redrawn more than once");
    assert.ok((percents.at(-1) ?? 0) > (percents[0] ?? 0), `the bar advanced: ${percents.join(", ")}`);
    kept.type("\x03");
    await kept.waitFor(/Stop the run\? \[y\/N\] /);
    kept.type("n\r");
    const detached = await kept.exited;
    assert.equal(detached.code, 0, detached.stdout + detached.stderr);
    assert.match(detached.stdout, new RegExp(`run ${runId} goes on; see it with \`loadmgr runs show ${runId}\``));
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${runId}`)).body.status, "Running");
    assert.equal((await cli(["runs", "stop", runId], env)).code, 0);

    // Ctrl-C, then "yes": the run is stopped, and the CLI shows it to its end with the per-endpoint table.
    const stopped = cliOnTerminal(["run", test.id, "--watch", "--duration", "60"], env);
    const [, stoppedId] = /run (\S+) started/.exec(await stopped.waitFor(/run \S+ started/)) ?? [];
    await stopped.waitFor(/% {2}users \d+/);
    stopped.type("\x03");
    await stopped.waitFor(/Stop the run\? \[y\/N\] /);
    stopped.type("y\r");
    const result = await stopped.exited;
    assert.equal(result.code, 0, result.stdout + result.stderr);
    assert.match(result.stdout, new RegExp(`run ${stoppedId} Stopped`));
    // Whichever endpoints the few requests before the stop hit (the example picks "/" 3 times in 4: all
    // three once went to /api/products/[id] in CI), the table lists them.
    assert.match(result.stdout, /endpoint +requests +failures +rps +p50 +p95 +p99\r?\nGET \/\S* +\d+/);
    assert.match(result.stdout, /\nAggregated +\d+/);
    assert.equal((await api.get<LoadTestRun>(`/v1/runs/${stoppedId}`)).body.status, "Stopped");
  });

  it("starts a run and prints its id at once without --wait", async () => {
    const test = await createTest();
    const res = await cli(["run", test.id, "--duration", "2"], env);
    assert.equal(res.code, 0, res.stderr);
    const show = await cli(["runs", "show", res.stdout.trim(), "--json"], env);
    assert.equal((JSON.parse(show.stdout) as LoadTestRun).durationSec, 2);
  });

  it("edits the script, lists revisions and diffs two of them", async () => {
    const test = await createTest();
    const edited = join(configDir, "edited.py");
    writeFileSync(edited, readFileSync(LOCUSTFILE, "utf-8").replace("wait_time", "# slower\n    wait_time"));
    const edit = await cli(["tests", "edit-script", test.id, "-f", edited, "-m", "slower users"], env);
    assert.equal(edit.code, 0, edit.stderr);
    assert.match(edit.stdout, /^revision 2 /);
    const revisions = await cli(["tests", "revisions", test.id], env);
    assert.match(revisions.stdout, /^2\s+\S+\s+\S+\s+\S+\s+slower users$/m);
    const diff = await cli(["tests", "diff", test.id, "1", "2"], env);
    assert.equal(diff.code, 0, diff.stderr);
    assert.match(diff.stdout, /^--- revision 1\/locustfile.py\n\+\+\+ revision 2\/locustfile.py\n@@ /);
    assert.match(diff.stdout, /^\+ {4}# slower$/m);
    const missing = await cli(["tests", "diff", test.id, "1", "7"], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /has no revision 7/);
  });

  it("sends a directory as a project (.gitignore kept), with a secret from stdin, parameters and stages, and diffs every file", async () => {
    const dir = mkdtempSync(join(tmpdir(), "loadmgr-cli-suite-"));
    try {
      mkdirSync(join(dir, "lib"));
      mkdirSync(join(dir, "data"));
      mkdirSync(join(dir, "__pycache__"));
      writeFileSync(
        join(dir, "locustfile.py"),
        [
          "import os",
          "from locust import HttpUser, constant, task",
          "from lib.paths import HOME",
          "USERS = open('data/users.csv').read().splitlines()[1:]",
          "class U(HttpUser):",
          "    wait_time = constant(0.2)",
          "    @task",
          "    def t(self):",
          "        self.client.get(HOME + os.environ['MODE'] + '/' + str(len(USERS)), name='/cli-suite')",
          "",
        ].join("\n"),
      );
      writeFileSync(join(dir, "lib/paths.py"), "HOME = '/cli-suite/'\n");
      writeFileSync(join(dir, "data/users.csv"), "name\nann\nbob\n");
      writeFileSync(join(dir, "run.log"), "noise\n");
      writeFileSync(join(dir, "data/local.secret"), "not for the server\n");
      writeFileSync(join(dir, "__pycache__/x.pyc"), "\u0000");
      writeFileSync(join(dir, ".gitignore"), "*.log\n");
      writeFileSync(join(dir, "data/.gitignore"), "*.secret\n");

      const secret = await cli(["secrets", "set", "CLI_KEY", ...SCOPE], env, "cli-secret-value\n");
      assert.equal(secret.code, 0, secret.stderr);
      assert.match(secret.stdout, /^set secret CLI_KEY$/m);
      const listed = await cli(["secrets", "list", ...SCOPE], env);
      assert.match(listed.stdout, /^CLI_KEY\s+\(project\)\s+\S+\s+admin$/m);
      assert.equal(listed.stdout.includes("cli-secret-value"), false);

      const created = await cli(
        [
          "tests",
          "create",
          "--dir",
          dir,
          "--split",
          join(dir, "data/users.csv"),
          "--name",
          "CLI suite",
          "--target",
          target.url,
          ...SCOPE,
          "--secret",
          "CLI_KEY",
          "--param",
          "MODE=fast",
          "--stage",
          "2:2:4",
          "--stage",
          "2:4:4",
          "--json",
        ],
        env,
      );
      assert.equal(created.code, 0, created.stderr);
      const test = JSON.parse(created.stdout) as LoadTest;
      assert.deepEqual([test.secrets, test.env, test.defaultStages?.length], [["CLI_KEY"], { MODE: "fast" }, 2]);
      const api = restClient(server.url);
      const revision = (await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`)).body;
      assert.deepEqual(
        revision.files.map((f) => [f.path, f.split]),
        [
          [".gitignore", false],
          ["data/.gitignore", false],
          ["data/users.csv", true],
          ["lib/paths.py", false],
        ],
      );

      const run = await cli(["run", test.id, "--param", "MODE=slow", "--wait"], env);
      assert.equal(run.code, 0, run.stdout + run.stderr);
      assert.match(run.stdout, /Finished/);
      assert.ok((target.hits.get("/cli-suite/slow/2") ?? 0) > 0, JSON.stringify([...target.hits.keys()]));

      // A new revision from -f and --file: exactly those files; the diff shows each change.
      writeFileSync(join(dir, "lib/paths.py"), "HOME = '/cli-suite-2/'\n");
      const edit = await cli(
        ["tests", "edit-script", test.id, "-f", join(dir, "locustfile.py"), "--file", join(dir, "lib/paths.py")],
        env,
      );
      assert.equal(edit.code, 0, edit.stderr);
      const diff = await cli(["tests", "diff", test.id, "1", "2"], env);
      assert.equal(diff.code, 0, diff.stderr);
      assert.match(diff.stdout, /^removed +data\/users.csv$/m);
      assert.match(diff.stdout, /^changed +lib\/paths.py$/m);
      assert.match(diff.stdout, /^-HOME = '\/cli-suite\/'$/m);
      assert.match(diff.stdout, /^\+HOME = '\/cli-suite-2\/'$/m);
      // The README's example suite, as the README creates and runs it.
      const suite = join(ROOT, "locust/examples/shop-suite");
      await cli(["secrets", "set", "SHOP_API_KEY", ...SCOPE, "--value", "readme-key"], env);
      const example = await cli(
        [
          "tests",
          "create",
          "--dir",
          suite,
          "--split",
          join(suite, "data/users.csv"),
          "--secret",
          "SHOP_API_KEY",
          "--param",
          "CART_SIZE=2",
          "--stage",
          "2:2:4",
          "--stage",
          "2:4:4",
          "--name",
          "README suite",
          "--target",
          target.url,
          ...SCOPE,
          "--json",
        ],
        env,
      );
      assert.equal(example.code, 0, example.stderr);
      const exampleTest = JSON.parse(example.stdout) as LoadTest;
      const exampleRevision = (await api.get<ScriptRevision>(`/v1/load-tests/${exampleTest.id}/script`)).body;
      assert.deepEqual(
        exampleRevision.files.map((f) => f.path),
        [".gitignore", "data/users.csv", "lib/shop.py"],
      );
      const exampleRun = await cli(["run", exampleTest.id, "--wait"], env);
      assert.equal(exampleRun.code, 0, exampleRun.stdout + exampleRun.stderr);
      assert.match(exampleRun.stdout, /Finished/);
      // Every user opens on both (the example's on_start): each is in the table whatever the random tasks did.
      assert.match(exampleRun.stdout, /\/products/);
      assert.match(exampleRun.stdout, /\/cart/);

      const outside = await cli(
        ["tests", "edit-script", test.id, "-f", join(dir, "locustfile.py"), "--file", LOCUSTFILE],
        env,
      );
      assert.equal(outside.code, 1);
      assert.match(outside.stderr, /is not inside/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("compares two runs per endpoint and exports one as CSV and JSON", async () => {
    const test = await createTest();
    const first = await cli(["run", test.id, "--wait", "--json"], env);
    const second = await cli(["run", test.id, "--wait", "--json"], env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(second.code, 0, second.stderr);
    const idOf = (res: Result) =>
      (JSON.parse(res.stdout.trim().split("\n").at(-1) ?? "{}") as { run: LoadTestRun }).run.id;
    const [a, b] = [idOf(first), idOf(second)];
    const compare = await cli(["runs", "compare", a, b], env);
    assert.equal(compare.code, 0, compare.stderr);
    assert.match(compare.stdout, /^endpoint\s+rps\s+error %\s+p50\s+p95\s+p99/);
    assert.match(compare.stdout, /^GET \/\s+[\d.]+ → [\d.]+/m);
    assert.match(compare.stdout, /^Aggregated\s/m);
    const json = await cli(["runs", "compare", a, b, "--json"], env);
    const rows = JSON.parse(json.stdout) as { endpoint: string; regression: boolean }[];
    assert.ok(rows.some((row) => row.endpoint === "Aggregated"));

    const csv = await cli(["runs", "export", a], env);
    assert.equal(csv.code, 0, csv.stderr);
    const lines = csv.stdout.trim().split("\r\n");
    assert.equal(lines[0]?.split(",")[2], "numRequests");
    assert.match(lines.at(-1) ?? "", /^,Aggregated,\d+/);
    const exported = await cli(["runs", "export", a, "--format", "json"], env);
    const body = JSON.parse(exported.stdout) as {
      requests: { total: { numRequests: number } };
      timeseries: { points: unknown[] };
    };
    assert.equal(body.requests.total.numRequests, Number(lines.at(-1)?.split(",")[2]));
    assert.ok(body.timeseries.points.length > 0);
    const bad = await cli(["runs", "export", a, "--format", "xml"], env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--format must be csv or json/);

    // Locust's own files of the run, as the server collected them (a moment after the run's end).
    const stats = await collectedFile(server.url, a, "locust_stats.csv");
    const listed = await cli(["runs", "files", a], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(listed.stdout, /^locust_stats\.csv\s+\d+/m);
    const into = mkdtempSync(join(tmpdir(), "loadmgr-cli-files-"));
    try {
      const saved = await cli(["runs", "files", a, "--dir", into], env);
      assert.equal(saved.code, 0, saved.stderr);
      assert.match(saved.stdout, new RegExp(`wrote \\d+ files of run ${a} to `));
      assert.equal(readFileSync(join(into, "locust_stats.csv"), "utf-8"), stats);
      const aggregated = stats.split("\n").find((line) => line.includes("Aggregated")) ?? "";
      assert.equal(aggregated.split(",")[2], lines.at(-1)?.split(",")[2], "Locust's count is ours");
    } finally {
      rmSync(into, { recursive: true, force: true });
    }
  });

  it("deletes a test", async () => {
    const test = await createTest();
    const res = await cli(["tests", "delete", test.id], env);
    assert.equal(res.code, 0, res.stderr);
    const show = await cli(["tests", "show", test.id], env);
    assert.equal(show.code, 1);
    assert.match(show.stderr, /LOAD_TEST_NOT_FOUND/);
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
      [["run", test.id, "--region", "eu"], /--region takes NAME=SHARE/],
      // The test runs on the server's own hosts, one place: regions are refused there.
      [["run", test.id, "--region", "eu=100"], /INVALID_INPUT.*regions/],
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
