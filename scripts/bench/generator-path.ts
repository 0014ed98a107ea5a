// What each layer between Locust and a saturated load costs, measured like with like: the same run
// (a master and 2 workers, FastHttpUser users hitting a loopback target as fast as they can) as
//   plain       Locust alone (`locust --processes 2`),
//   plugin      Locust with the Load Manager plugin reporting every 2 s (to a stand-in ingest),
//   supervisor  the run's supervisor and its sealed sandbox (`loadmgr-locust run-dir`), nothing else,
//   whole path  a run of a real server, placed on its host's agent, to the end,
// each run beside plain Locust as plain, X, X, plain (so that the round's ratio cancels the drift of
// this noisy machine), N rounds, the generator on one core and the target on the other. Each figure is Locust's own requests/s, from the last table it printed. Every variant runs in a session of its own (as the supervisor starts Locust),
// and with the kernel's autogroup scheduling off for the bench where it can be (a new session is a
// scheduling group of its own under autogroup, so a target that shares the machine would measure the
// scheduler); the first lines say which.
//   node --import tsx scripts/bench/generator-path.ts [rounds=5] [seconds=15] [users=50]
import { execFileSync, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { availableParallelism, tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { LoadTest, LoadTestRun } from "@loadmgr/shared";
import { startTargetApp } from "../../test/fixtures/targetApp.js";
import { printCalibration } from "./calibration.js";
import { api, median, startServerAt } from "./serverProcess.js";

const [rounds = 5, seconds = 15, users = 50] = process.argv.slice(2).map(Number);
const AUTOGROUP = "/proc/sys/kernel/sched_autogroup_enabled";
const autogroupBefore = existsSync(AUTOGROUP) ? readFileSync(AUTOGROUP, "utf-8").trim() : null;
let autogroup = autogroupBefore ?? "absent";
if (autogroupBefore === "1") {
  try {
    writeFileSync(AUTOGROUP, "0");
    autogroup = "0 (turned off for the bench)";
  } catch {
    autogroup = "1 (could not be turned off: every variant runs in a session of its own, alike)";
  }
}
process.on("exit", () => {
  if (autogroupBefore === "1") writeFileSync(AUTOGROUP, "1");
});
await printCalibration();
console.log(`sched_autogroup_enabled: ${autogroup}`);
// The target (in this process) on one core, every generator (and the whole path's server) on the other:
// the generator saturates its core, and the target's share of the machine is the same for every variant.
const cores = availableParallelism();
const pinned = cores >= 2;
if (pinned) execFileSync("taskset", ["-a", "-cp", "1", String(process.pid)], { stdio: "ignore" });
console.log(
  pinned
    ? "the target (and the whole path's server) pinned to core 1, the generators (and the server's agent) to core 0"
    : "one core: nothing pinned",
);
const onGenerator = (command: string, args: string[]): [string, string[]] =>
  pinned ? ["taskset", ["-c", "0", command, ...args]] : [command, args];

const root = resolve(import.meta.dirname, "../..");
const venv = join(root, ".venv/locust/bin");
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-path-"));
const SCRIPT = `from locust import FastHttpUser, task


class Bench(FastHttpUser):
    @task
    def hit(self):
        self.client.get("/bench")
`;
const locustfile = join(dir, "locustfile.py");
writeFileSync(locustfile, SCRIPT);
const target = await startTargetApp();
// A stand-in ingest endpoint that acknowledges every push, as the server does.
const ingest = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true,"status":"Running"}');
  });
});
await new Promise<void>((done) => ingest.listen(0, "127.0.0.1", done));
const ingestUrl = `http://127.0.0.1:${(ingest.address() as { port: number }).port}`;

/** Locust's own requests per second (its last printed table: requests over its test's span). */
function rateOf(output: string): number {
  const rows = [...output.matchAll(/Aggregated\s+\d+\s+\d+\([^)]*\)\s*\|(?:\s*[\d.]+){4}\s*\|\s*([\d.]+)/g)];
  return Number(rows.at(-1)?.[1] ?? 0);
}

/** A command in a session of its own (`setsid`), to its end; everything it printed. */
function inSession(command: string, args: string[]): Promise<string> {
  const [program, line] = onGenerator("setsid", ["--wait", command, ...args]);
  const child = spawn(program, line, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((done) => child.once("exit", () => done(output)));
}

const locustArgs = ["-f", locustfile, "--headless", "-u", String(users), "-r", String(users), "-t", `${seconds}s`];
locustArgs.push("--processes", "2", "--host", target.url);

let runs = 0;
/** The run's supervisor alone, with its sandbox or (for a look at what the sandbox costs) without. */
async function supervised(sandbox: boolean): Promise<number> {
  const runDir = join(dir, `run-${++runs}`);
  mkdirSync(runDir);
  const spec = {
    runId: `bench-${runs}`,
    scriptContent: Buffer.from(SCRIPT).toString("base64"),
    targetUrl: target.url,
    users,
    spawnRate: users,
    durationSec: seconds,
    ingestUrl,
    intervalSec: 2,
    workers: 2,
    sandbox,
  };
  writeFileSync(join(runDir, "spec.json"), JSON.stringify(spec));
  return rateOf(await inSession(join(venv, "loadmgr-locust"), ["run-dir", runDir]));
}

const variants: Record<string, () => Promise<number>> = {
  plain: async () => rateOf(await inSession(join(venv, "locust"), locustArgs)),
  plugin: async () =>
    rateOf(
      await inSession(join(venv, "loadmgr-locust"), [
        "locust",
        ...locustArgs,
        ...["--loadmgr-url", ingestUrl, "--loadmgr-run-id", "bench", "--loadmgr-interval", "2"],
      ]),
    ),
  supervisor: () => supervised(true),
  "whole path": async () => {
    const run = await api<LoadTestRun>(server.url, "POST", `/v1/load-tests/${test.id}/runs`, {});
    let current = run;
    while (!["Finished", "Stopped", "Failed"].includes(current.status)) {
      await new Promise((done) => setTimeout(done, 250));
      current = await api<LoadTestRun>(server.url, "GET", `/v1/runs/${run.id}`);
    }
    if (current.status !== "Finished") throw new Error(`whole path: ${current.status} ${current.failureReason ?? ""}`);
    // The log's last table is printed as Locust exits, a moment after the run is Finished.
    const log = join(server.dataDir, "runs", run.id, "locust.log");
    for (let i = 0; i < 100 && !existsSync(join(server.dataDir, "runs", run.id, "exit.json")); i++) {
      await new Promise((done) => setTimeout(done, 100));
    }
    return rateOf(readFileSync(log, "utf-8"));
  },
};

// The server beside the target (as the stand-in ingest of the other variants is), its host's agent (and
// so the supervisor and Locust it starts) on the generators' core.
const server = await startServerAt(
  root,
  "runner:\n  metricsIntervalSec: 2\n  local:\n    workers: 2\n",
  pinned ? ["taskset", "-c", "1"] : [],
);
if (pinned) {
  let agent = "";
  for (let i = 0; i < 100 && agent === ""; i++) {
    try {
      agent =
        execFileSync("pgrep", ["-f", `agent --server ${server.url}`], { encoding: "utf-8" })
          .trim()
          .split("\n")[0] ?? "";
    } catch {
      await new Promise((done) => setTimeout(done, 100));
    }
  }
  execFileSync("taskset", ["-a", "-cp", "0", agent], { stdio: "ignore" });
}
const test = await api<LoadTest>(server.url, "POST", "/v1/load-tests", {
  name: "generator path",
  accountId: "acme",
  orgId: "web",
  projectId: "bench",
  targetUrl: target.url,
  scriptContent: Buffer.from(SCRIPT).toString("base64"),
  defaultUsers: users,
  defaultSpawnRate: users,
  defaultDurationSec: seconds,
  autoStop: null,
});

// BENCH_VARIANTS="supervisor,whole path" measures some only; "unsandboxed supervisor" is there to look into.
variants["unsandboxed supervisor"] = () => supervised(false);
const names = (process.env.BENCH_VARIANTS?.split(",") ?? ["plugin", "supervisor", "whole path"]).filter(
  (n) => n in variants && n !== "plain",
);
const plainRun = variants.plain as () => Promise<number>;
const ratios = new Map(names.map((n) => [n, [] as number[]]));
const rates = new Map([...names, "plain"].map((n) => [n, [] as number[]]));
const noise: number[] = [];
console.log(
  `generator path: ${rounds} rounds; each variant X as plain, X, X, plain (${seconds} s each, ${users} FastHttpUser users, ` +
    `a master and 2 workers, loopback target): the round's ratio (X+X)/(plain+plain) cancels the machine's drift`,
);
for (let round = 1; round <= rounds; round++) {
  for (const name of names) {
    const run = variants[name] as () => Promise<number>;
    const [p1, x1, x2, p2] = [await plainRun(), await run(), await run(), await plainRun()];
    rates.get("plain")?.push(p1, p2);
    rates.get(name)?.push(x1, x2);
    ratios.get(name)?.push((x1 + x2) / (p1 + p2));
    noise.push(p2 / p1);
    console.log(
      `round ${round} ${name.padEnd(22)} plain ${p1.toFixed(0)}, ${name} ${x1.toFixed(0)}, ${x2.toFixed(0)}, plain ${p2.toFixed(0)} req/s: ratio ${((x1 + x2) / (p1 + p2)).toFixed(3)}`,
    );
  }
}
const spread = (xs: number[]): string =>
  `median ${median(xs).toFixed(3)} (min ${Math.min(...xs).toFixed(3)}, max ${Math.max(...xs).toFixed(3)}, n ${xs.length})`;
console.log(`plain's own noise (the second plain run over the first, same round): ${spread(noise)}`);
for (const name of names) {
  console.log(
    `${name.padEnd(22)} ratio to plain: ${spread(ratios.get(name) ?? [])}; its median ${median(rates.get(name) ?? []).toFixed(0)} req/s`,
  );
}
console.log(`plain                  median ${median(rates.get("plain") ?? []).toFixed(0)} req/s`);
await server.stop();
rmSync(server.dataDir, { recursive: true, force: true });
ingest.close();
await target.close();
rmSync(dir, { recursive: true, force: true });
