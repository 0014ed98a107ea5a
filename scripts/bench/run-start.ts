// How fast a run starts, through the whole path: POST …/runs to `launchedAt` (the generator has it) and
// to `Running` (Locust reported its test start), on a real server that runs it on its own host. With
// --old DIR it measures an older checkout side by side (a worktree of a commit before the run path
// went through the host's agent), alternating, so both sides see the same machine.
//   node --import tsx scripts/bench/run-start.ts [rounds=10] [--old DIR]
import { execFileSync } from "node:child_process";
import { rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import type { LoadTest, LoadTestRun } from "@loadmgr/shared";
import { startTargetApp } from "../../test/fixtures/targetApp.js";
import { printCalibration } from "./calibration.js";
import { api, median, startServerAt, type BenchServer } from "./serverProcess.js";

const { values, positionals } = parseArgs({ options: { old: { type: "string" } }, allowPositionals: true });
const rounds = Number(positionals[0] ?? 10);
await printCalibration();

const CONFIG = "runner:\n  metricsIntervalSec: 1\n  local:\n    workers: 2\n";
const SCRIPT = Buffer.from(
  "from locust import FastHttpUser, constant, task\n\n\nclass Visitor(FastHttpUser):\n    wait_time = constant(0.1)\n\n    @task\n    def page(self):\n        self.client.get('/start')\n",
).toString("base64");

const target = await startTargetApp();
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
    targetUrl: target.url,
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

/** One run: started, timed to launch and to Running, stopped, ended. */
async function measure(side: (typeof sides)[number]): Promise<{ launched: number; running: number; seen: number }> {
  const asked = performance.now();
  const run = await api<LoadTestRun>(side.server.url, "POST", `/v1/load-tests/${side.testId}/runs`, {});
  let current = run;
  while (current.status !== "Running") {
    if (["Failed", "Stopped", "Finished"].includes(current.status))
      throw new Error(`${side.name}: ${current.failureReason ?? ""}`);
    await new Promise((done) => setTimeout(done, 10));
    current = await api<LoadTestRun>(side.server.url, "GET", `/v1/runs/${run.id}`);
  }
  const seen = performance.now() - asked;
  await api(side.server.url, "POST", `/v1/runs/${run.id}/stop`, {});
  while (!["Failed", "Stopped", "Finished"].includes(current.status)) {
    await new Promise((done) => setTimeout(done, 100));
    current = await api<LoadTestRun>(side.server.url, "GET", `/v1/runs/${run.id}`);
  }
  return {
    launched: (current.launchedAt ?? 0) - run.createdAt,
    running: (current.startedAt ?? 0) - run.createdAt,
    seen,
  };
}

const results = new Map(sides.map((s) => [s.name, [] as { launched: number; running: number; seen: number }[]]));
console.log(
  `run start: ${rounds} rounds, a run of 2 users with 2 workers on the server's own host, stopped once Running`,
);
for (let round = 1; round <= rounds; round++) {
  const order = round % 2 === 1 ? sides : [...sides].reverse();
  for (const side of order) {
    const r = await measure(side);
    results.get(side.name)?.push(r);
    console.log(
      `round ${round} ${side.name.padEnd(24)} launched ${r.launched.toFixed(0)} ms, Running ${r.running.toFixed(0)} ms (seen by the client after ${r.seen.toFixed(0)} ms)`,
    );
  }
}
for (const [name, rs] of results) {
  const pick = (key: "launched" | "running" | "seen"): string => {
    const xs = rs.map((r) => r[key]);
    return `${median(xs).toFixed(0)} ms (min ${Math.min(...xs).toFixed(0)}, max ${Math.max(...xs).toFixed(0)})`;
  };
  console.log(`${name}: median to launched ${pick("launched")}; to Running ${pick("running")}; seen ${pick("seen")}`);
}
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
await target.close();
