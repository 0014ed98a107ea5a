// What the run sandbox costs: the same saturated run (one Locust process, FastHttpUser, loopback
// target) started by the real supervisor with the sandbox on and off, alternating, N rounds each.
// Prints each round's requests/s (Locust's own total over the run time) and start latency (from the
// supervisor's start to the target's first request), then the ratios of the medians.
//   node --import tsx scripts/bench/sandbox-cost.ts [rounds=5] [seconds=15] [users=20]
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { createServer as createTarget } from "node:http";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const [rounds = 5, seconds = 15, users = 20] = process.argv.slice(2).map(Number);
const supervisor = join(import.meta.dirname, "../../.venv/locust/bin/loadmgr-locust");
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-sandbox-"));
const script = `from locust import FastHttpUser, task


class Bench(FastHttpUser):
    @task
    def hit(self):
        self.client.get("/bench")
`;

let firstHit: number | undefined;
const target = createTarget((req, res) => {
  firstHit ??= performance.now();
  res.writeHead(200, { "content-type": "text/plain" });
  res.end("ok");
});
target.keepAliveTimeout = 60_000;
await new Promise<void>((resolve) => target.listen(0, "127.0.0.1", resolve));
const targetUrl = `http://127.0.0.1:${(target.address() as { port: number }).port}`;
// A stand-in ingest endpoint that acknowledges every push, as the server does.
const ingest = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true,"status":"Running"}');
  });
});
await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
const ingestUrl = `http://127.0.0.1:${(ingest.address() as { port: number }).port}`;

let run = 0;
async function measure(sandbox: boolean): Promise<{ rps: number; startMs: number }> {
  const runDir = join(dir, `run-${++run}`);
  mkdirSync(runDir);
  const spec = {
    runId: `bench-${run}`,
    scriptContent: Buffer.from(script).toString("base64"),
    targetUrl,
    users,
    spawnRate: users,
    durationSec: seconds,
    ingestUrl,
    intervalSec: 2,
    workers: 0,
    sandbox,
  };
  writeFileSync(join(runDir, "spec.json"), JSON.stringify(spec));
  firstHit = undefined;
  const started = performance.now();
  const child = spawn(supervisor, ["run-dir", runDir], {
    env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LOADMGR_INGEST_TOKEN: "bench-token-0123456789" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once("exit", resolve));
  const rows = [...output.matchAll(/Aggregated\s+(\d+)\s+\d+\(/g)];
  const exit = JSON.parse(readFileSync(join(runDir, "exit.json"), "utf-8")) as { exitCode: number | null };
  if (rows.length === 0 || exit.exitCode !== 0) throw new Error(`run ${run} failed:\n${output.slice(-2000)}`);
  return { rps: Number(rows.at(-1)?.[1] ?? 0) / seconds, startMs: (firstHit ?? Number.NaN) - started };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const spread = (xs: number[]): string => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const results = {
  on: { rps: [] as number[], start: [] as number[] },
  off: { rps: [] as number[], start: [] as number[] },
};
console.log(`sandbox cost: ${rounds} rounds × 2 runs of ${seconds} s, ${users} FastHttpUser users, one Locust process`);
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so warm-up and drift do not favour one side.
  for (const sandbox of round % 2 === 1 ? [false, true] : [true, false]) {
    const { rps, startMs } = await measure(sandbox);
    const side = sandbox ? results.on : results.off;
    side.rps.push(rps);
    side.start.push(startMs);
    console.log(
      `round ${round} sandbox ${sandbox ? "on " : "off"} ${rps.toFixed(0)} req/s, first request after ${startMs.toFixed(0)} ms`,
    );
  }
}
const { on, off } = results;
console.log(
  `req/s    off: median ${median(off.rps).toFixed(0)} (${spread(off.rps)})   on: median ${median(on.rps).toFixed(0)} (${spread(on.rps)})`,
);
console.log(
  `start ms off: median ${median(off.start).toFixed(0)} (${spread(off.start)})   on: median ${median(on.start).toFixed(0)} (${spread(on.start)})`,
);
console.log(`req/s ratio (on / off): ${(median(on.rps) / median(off.rps)).toFixed(4)}`);
console.log(`start latency added by the sandbox: ${(median(on.start) - median(off.start)).toFixed(0)} ms`);
ingest.close();
target.close();
target.closeAllConnections();
rmSync(dir, { recursive: true, force: true });
