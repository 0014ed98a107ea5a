// What every benchmark prints first: this machine's pace right now, measured in the same run, so its
// figures can be read as ratios and held against another machine's.
//   node --import tsx scripts/bench/calibration.ts        (the line alone)
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { Agent } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startTargetApp } from "../../test/fixtures/targetApp.js";
import { stopServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { postJson } from "./http.js";

export interface Calibration {
  /** The bare JSON server (bareJsonServer.ts) driven by 8 keep-alive clients: requests per second. */
  bareJsonPerSec: number;
  /** One plain Locust process (no plugin), 20 FastHttpUser users, on the loopback target: requests per second. */
  plainLocustPerSec: number;
}

const CONCURRENCY = 8;
const SECONDS = 3;

async function bareJsonRate(): Promise<number> {
  const server = await startBenchProcess("bareJsonServer.ts", {});
  const url = new URL(server.url);
  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY });
  const payload = JSON.stringify({ runId: "calibration", seq: 1, endpoints: [] });
  let done = 0;
  const until = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (Date.now() < until) {
        await postJson(agent, url, "/", payload, "t");
        done++;
      }
    }),
  );
  agent.destroy();
  await stopServerProcess(server.child);
  return done / SECONDS;
}

async function plainLocustRate(): Promise<number> {
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-calibration-"));
  const locustfile = join(dir, "locustfile.py");
  writeFileSync(
    locustfile,
    "from locust import FastHttpUser, task\n\n\nclass Bench(FastHttpUser):\n    @task\n    def hit(self):\n        self.client.get('/calibration')\n",
  );
  const target = await startTargetApp();
  try {
    const locust = join(import.meta.dirname, "../../.venv/locust/bin/locust");
    const seconds = 5;
    const args = ["-f", locustfile, "--headless", "-u", "20", "-r", "20", "-t", `${seconds}s`, "--host", target.url];
    return await locustRate(locust, args, seconds);
  } finally {
    await target.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a headless Locust command to its end; its requests per second, from the last totals it printed. */
export async function locustRate(command: string, args: string[], seconds: number): Promise<number> {
  const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  child.stdout.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await new Promise((resolve) => child.once("exit", resolve));
  const rows = [...output.matchAll(/Aggregated\s+(\d+)\s+\d+\(/g)];
  return Number(rows.at(-1)?.[1] ?? 0) / seconds;
}

/** Measures both, one after the other (not beside anything else of the benchmark). */
export async function calibrate(): Promise<Calibration> {
  return { bareJsonPerSec: await bareJsonRate(), plainLocustPerSec: await plainLocustRate() };
}

export function calibrationLine(c: Calibration): string {
  return (
    `calibration: bare JSON server ${c.bareJsonPerSec.toFixed(0)} req/s (${CONCURRENCY} keep-alive clients, ${SECONDS} s); ` +
    `one plain Locust process ${c.plainLocustPerSec.toFixed(0)} req/s (20 FastHttpUser users, loopback target, 5 s)`
  );
}

/** Measures and prints the line; answers the figures for ratios. */
export async function printCalibration(): Promise<Calibration> {
  const c = await calibrate();
  console.log(calibrationLine(c));
  return c;
}

if (import.meta.url === `file://${process.argv[1]}`) await printCalibration();
