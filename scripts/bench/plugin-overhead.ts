// Measures what the Load Manager plugin costs Locust: the same FastHttpUser test against a loopback
// target, with and without the plugin, alternating, N rounds each. Prints each round's RPS and the
// ratio of the medians (with / without).
//   node --import tsx scripts/bench/plugin-overhead.ts [rounds=5] [seconds=15] [users=20]
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTargetApp } from "../../test/fixtures/targetApp.js";
import { locustRate, printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const [rounds = 5, seconds = 15, users = 20] = process.argv.slice(2).map(Number);
const venv = join(import.meta.dirname, "../../.venv/locust/bin");
const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-"));
const locustfile = join(dir, "locustfile.py");
writeFileSync(
  locustfile,
  `from locust import FastHttpUser, task


class Bench(FastHttpUser):
    @task
    def hit(self):
        self.client.get("/bench")
`,
);

const target = await startTargetApp();
// A stand-in ingest endpoint that acknowledges every push, as the server does.
let pushes = 0;
const ingest = createServer((req, res) => {
  req.resume();
  req.on("end", () => {
    pushes++;
    res.writeHead(200, { "content-type": "application/json" });
    res.end('{"ok":true,"status":"Running"}');
  });
});
await new Promise<void>((resolve) => ingest.listen(0, "127.0.0.1", resolve));
const ingestPort = (ingest.address() as { port: number }).port;

async function rps(withPlugin: boolean): Promise<number> {
  const base = ["-f", locustfile, "--headless", "-u", String(users), "-r", String(users), "-t", `${seconds}s`];
  const plugin = ["--loadmgr-url", `http://127.0.0.1:${ingestPort}`, "--loadmgr-run-id", "bench"];
  const [command, args] = withPlugin
    ? [join(venv, "loadmgr-locust"), ["locust", ...base, ...plugin]]
    : [join(venv, "locust"), base];
  return locustRate(command, [...args, "--host", target.url], seconds);
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
const without: number[] = [];
const withPlugin: number[] = [];
console.log(`plugin overhead: ${rounds} rounds × 2 runs of ${seconds} s, ${users} FastHttpUser users, loopback target`);
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so warm-up and drift do not favour one side.
  const order = round % 2 === 1 ? [false, true] : [true, false];
  for (const plugin of order) {
    const value = await rps(plugin);
    (plugin ? withPlugin : without).push(value);
    console.log(`round ${round} ${plugin ? "with plugin   " : "without plugin"} ${value.toFixed(0)} req/s`);
  }
}
const ratio = median(withPlugin) / median(without);
console.log(`median without plugin: ${median(without).toFixed(0)} req/s`);
console.log(`median with plugin:    ${median(withPlugin).toFixed(0)} req/s (${pushes} snapshot pushes received)`);
console.log(`RPS ratio (with / without): ${ratio.toFixed(4)}`);
// Each round's pair, run back to back, as a ratio: the spread says how far the noise reaches.
const perRound = withPlugin.map((w, i) => w / (without[i] ?? w));
console.log(
  `per-round ratios: ${perRound.map((r) => r.toFixed(3)).join(" ")} (min ${Math.min(...perRound).toFixed(3)}, ` +
    `max ${Math.max(...perRound).toFixed(3)}, median ${median(perRound).toFixed(3)})`,
);
ingest.close();
await target.close();
rmSync(dir, { recursive: true, force: true });
