// How fast a run starts, through the whole path: POST …/runs to `launchedAt` (the generator has it), to
// `Running` (Locust reported its test start) and to its first request at the target, on a real server
// that runs it on its own host (sandboxed when the host can). Beside it, each round, plain Locust's own
// start: `locust --headless` with the same script, from its spawn to its first request. With --old DIR
// it measures an older checkout side by side (a worktree of a commit before the run path went through
// the host's agent), alternating, so every side sees the same machine.
//   node --import tsx scripts/bench/run-start.ts [rounds=10] [--workers N=2] [--old DIR]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { LoadTest, LoadTestRun } from "@loadmgr/shared";
import { printCalibration } from "./calibration.js";
import { api, median, startServerAt, type BenchServer } from "./serverProcess.js";

const { values, positionals } = parseArgs({
  options: { old: { type: "string" }, workers: { type: "string", default: "2" } },
  allowPositionals: true,
});
/** Locust worker processes beside the run's master (0: one Locust process, as plain Locust runs here). */
const workers = Number(values.workers);
const rounds = Number(positionals[0] ?? 10);
await printCalibration();

const CONFIG = `runner:\n  metricsIntervalSec: 1\n  local:\n    workers: ${workers}\n`;
// Each run (and each plain Locust) asks for a path of its own: the target notes when it first came.
const SOURCE =
  "import os\n\nfrom locust import FastHttpUser, constant, task\n\n\nclass Visitor(FastHttpUser):\n    wait_time = constant(0.1)\n\n    @task\n    def page(self):\n        self.client.get(os.environ['START_PATH'])\n";
const SCRIPT = Buffer.from(SOURCE).toString("base64");

const firstHit = new Map<string, number>();
const target = createServer((req, res) => {
  if (!firstHit.has(req.url ?? "")) firstHit.set(req.url ?? "", performance.now());
  res.end("ok");
});
await new Promise<void>((done) => target.listen(0, "127.0.0.1", done));
const address = target.address();
const firstUrl = `http://127.0.0.1:${typeof address === "object" && address !== null ? address.port : 0}`;
let paths = 0;
/** When `path` was first asked for, waiting for it at most `ms`. */
async function hitOf(path: string, ms = 30_000): Promise<number> {
  const deadline = performance.now() + ms;
  while (!firstHit.has(path)) {
    if (performance.now() > deadline) throw new Error(`no request to ${path} within ${ms} ms`);
    await new Promise((done) => setTimeout(done, 5));
  }
  return firstHit.get(path) ?? 0;
}

const plainDir = mkdtempSync(join(tmpdir(), "loadmgr-start-plain-"));
writeFileSync(join(plainDir, "locustfile.py"), SOURCE);
const LOCUST = join(import.meta.dirname, "../../.venv/locust/bin/locust");
/** Plain Locust's own start: its spawn to its first request at the target (then it is stopped). */
async function plainStart(): Promise<number> {
  const path = `/plain-${++paths}`;
  const spawned = performance.now();
  const child = spawn(
    LOCUST,
    ["-f", join(plainDir, "locustfile.py"), "--headless", "-u", "2", "-r", "2", "-t", "60s", "--host", firstUrl],
    { env: { ...process.env, START_PATH: path }, stdio: "ignore" },
  );
  try {
    return (await hitOf(path)) - spawned;
  } finally {
    const exited = new Promise((done) => child.once("exit", done));
    child.kill("SIGTERM");
    await exited;
  }
}
const sides: { name: string; server: BenchServer; testId: string }[] = [];
const roots: [string, string][] = [["this checkout", resolve(import.meta.dirname, "../..")]];
if (values.old !== undefined) roots.push([`old (${gitHead(values.old)})`, resolve(values.old)]);
for (const [name, root] of roots) {
  const server = await startServerAt(root, CONFIG);
  const test = await api<LoadTest>(server.url, "POST", "/v1/load-tests", {
    name: "start bench",
    accountId: "acme",
    orgId: "web",
    projectId: "bench",
    targetUrl: firstUrl,
    scriptContent: SCRIPT,
    defaultUsers: 2,
    defaultSpawnRate: 2,
    defaultDurationSec: 60,
  });
  sides.push({ name, server, testId: test.id });
}

function gitHead(dir: string): string {
  return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf-8" }).trim();
}

interface Start {
  launched: number;
  running: number;
  seen: number;
  /** POST to the first request at the target. */
  request: number;
}

/** One run: started, timed to launch, to Running and to its first request, stopped, ended. */
async function measure(side: (typeof sides)[number]): Promise<Start> {
  const path = `/run-${++paths}`;
  const asked = performance.now();
  const run = await api<LoadTestRun>(side.server.url, "POST", `/v1/load-tests/${side.testId}/runs`, {
    env: { START_PATH: path },
  });
  let current = run;
  while (current.status !== "Running") {
    if (["Failed", "Stopped", "Finished"].includes(current.status))
      throw new Error(`${side.name}: ${current.failureReason ?? ""}`);
    await new Promise((done) => setTimeout(done, 10));
    current = await api<LoadTestRun>(side.server.url, "GET", `/v1/runs/${run.id}`);
  }
  const seen = performance.now() - asked;
  const request = (await hitOf(path)) - asked;
  await api(side.server.url, "POST", `/v1/runs/${run.id}/stop`, {});
  while (!["Failed", "Stopped", "Finished"].includes(current.status)) {
    await new Promise((done) => setTimeout(done, 100));
    current = await api<LoadTestRun>(side.server.url, "GET", `/v1/runs/${run.id}`);
  }
  return {
    launched: (current.launchedAt ?? 0) - run.createdAt,
    running: (current.startedAt ?? 0) - run.createdAt,
    seen,
    request,
  };
}

const results = new Map(sides.map((s) => [s.name, [] as Start[]]));
const plain: number[] = [];
console.log(
  `run start: ${rounds} rounds, a run of 2 users with ${workers} workers on the server's own host, stopped once Running`,
);
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? sides : [...sides].reverse();
  for (const side of order) {
    const r = await measure(side);
    results.get(side.name)?.push(r);
    console.log(
      `round ${round} ${side.name.padEnd(24)} launched ${r.launched.toFixed(0)} ms, Running ${r.running.toFixed(0)} ms (seen by the client after ${r.seen.toFixed(0)} ms), first request ${r.request.toFixed(0)} ms`,
    );
  }
  const own = await plainStart();
  plain.push(own);
  console.log(`round ${round} ${"plain Locust".padEnd(24)} first request ${own.toFixed(0)} ms after its spawn`);
}
const spread = (xs: number[]): string =>
  `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
for (const [name, rs] of results) {
  const pick = (key: keyof Start): string => spread(rs.map((r) => r[key]));
  console.log(
    `${name}: median to launched ${pick("launched")}; to Running ${pick("running")}; seen ${pick("seen")}; to the first request ${pick("request")}`,
  );
}
console.log(`plain Locust: median to the first request ${spread(plain)}`);
const ours = median((results.get(sides[0]?.name ?? "") ?? []).map((r) => r.request));
console.log(
  `ratio of medians to the first request (this / plain Locust): ${(ours / median(plain)).toFixed(3)}; this checkout's minus plain Locust's: ${(ours - median(plain)).toFixed(0)} ms`,
);
if (sides.length === 2) {
  const medians = sides.map((s) => median((results.get(s.name) ?? []).map((r) => r.running)));
  const ratio = (medians[0] ?? 0) / (medians[1] ?? 1);
  console.log(
    `ratio of medians to Running (this / old): ${ratio.toFixed(3)} (below 1: this checkout starts runs faster)`,
  );
}
for (const side of sides) {
  await side.server.stop();
  rmSync(join(side.server.dataDir), { recursive: true, force: true });
}
target.close();
rmSync(plainDir, { recursive: true, force: true });
