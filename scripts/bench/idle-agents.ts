// What connected agents that run nothing cost the server: N simulated agents, each holding the real
// long poll (POST /v1/internal/agents/sync, calling again as soon as it is answered, with the wait the
// agent sends when it runs nothing), against a real server (as `npm start` runs it) that runs nothing;
// the server process's CPU over a window (from /proc), and the calls it answered. With --old DIR an
// older checkout side by side (its agents waiting 5 s a call, as its agent did), alternating.
// The agents start together, so take a window that is a whole number of both waits (50 s: 2 and 10 calls).
//   node --import tsx scripts/bench/idle-agents.ts [agents=600] [seconds=50] [rounds=2] [--old DIR]
import { execFileSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { setMaxListeners } from "node:events";
import { rmSync } from "node:fs";
import { resolve } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { parseArgs } from "node:util";
import { AGENT_WAIT_MS } from "@loadmgr/shared";
import { printCalibration } from "./calibration.js";
import { cpuSeconds } from "./procCpu.js";
import { api, median, startServerAt, type BenchServer } from "./serverProcess.js";

const { values, positionals } = parseArgs({ options: { old: { type: "string" } }, allowPositionals: true });
const [agents = 600, seconds = 50, rounds = 2] = positionals.map(Number);
// (fetch opens as many connections to an origin as there are calls at once: one per agent, as from hosts of their own.)
await printCalibration();

interface Side {
  name: string;
  server: BenchServer;
  token: string;
  /** The wait its agent sends when it runs nothing, and whether it says when it sent the call. */
  waitMs: number;
  sentAt: boolean;
}

const sides: Side[] = [];
const roots: [string, string, number, boolean][] = [
  ["this checkout", resolve(import.meta.dirname, "../.."), AGENT_WAIT_MS, true],
];
if (values.old !== undefined) roots.push([`old (${gitHead(values.old)})`, resolve(values.old), 5000, false]);
for (const [name, root, waitMs, sentAt] of roots) {
  const server = await startServerAt(root, "log:\n  level: warn\n");
  const pool = await api<{ token: string }>(server.url, "POST", "/v1/agent-pools", {
    name: "idle",
    accountId: "bench",
    orgId: "bench",
    projectId: "idle",
  });
  sides.push({ name, server, token: pool.token, waitMs, sentAt });
}

function gitHead(dir: string): string {
  return execFileSync("git", ["-C", dir, "rev-parse", "--short", "HEAD"], { encoding: "utf-8" }).trim();
}

/** N agents calling in for `seconds` once all are connected: the server's CPU (share of a core) and calls/s. */
async function measure(side: Side, round: number): Promise<{ cpu: number; callsPerSec: number }> {
  const stop = new AbortController();
  // Each agent's call listens for the end.
  setMaxListeners(agents * 4, stop.signal);
  let calls = 0;
  let connected = 0;
  const loop = async (i: number): Promise<void> => {
    const instanceId = randomUUID();
    let first = true;
    while (!stop.signal.aborted) {
      const body = {
        name: `r${round}-idle-${i}`,
        instanceId,
        capacity: 1,
        labels: {},
        version: "0.1.0",
        address: "10.9.0.1",
        runs: [],
        waitMs: side.waitMs,
        ...(side.sentAt ? { sentAt: Date.now() } : {}),
      };
      try {
        const res = await fetch(`${side.server.url}/v1/internal/agents/sync`, {
          method: "POST",
          headers: { authorization: `Bearer ${side.token}`, "content-type": "application/json" },
          body: JSON.stringify(body),
          signal: stop.signal,
        });
        const text = await res.text();
        if (res.status !== 200) throw new Error(`${res.status} ${text.slice(0, 200)}`);
        calls++;
        if (first) connected++;
        first = false;
      } catch (error) {
        if (stop.signal.aborted) return;
        console.error(`agent ${i}: ${String(error)}`);
        await sleep(1000);
      }
    }
  };
  const loops = Array.from({ length: agents }, (_, i) => loop(i));
  while (connected < agents) await sleep(100);
  // Settled: every agent's first call answered, the next ones held.
  await sleep(2000);
  const [cpuBefore, callsBefore, at] = [cpuSeconds(side.server.child.pid ?? 0), calls, Date.now()];
  await sleep(seconds * 1000);
  const elapsed = (Date.now() - at) / 1000;
  const result = {
    cpu: (cpuSeconds(side.server.child.pid ?? 0) - cpuBefore) / elapsed,
    callsPerSec: (calls - callsBefore) / elapsed,
  };
  stop.abort();
  await Promise.all(loops);
  return result;
}

console.log(`idle agents: ${agents} simulated agents running nothing, ${seconds} s windows, ${rounds} rounds`);
const results = new Map(sides.map((s) => [s.name, [] as { cpu: number; callsPerSec: number }[]]));
for (let round = 1; round <= rounds; round++) {
  for (const side of round % 2 === 1 ? sides : [...sides].reverse()) {
    const r = await measure(side, round);
    results.get(side.name)?.push(r);
    console.log(
      `round ${round} ${side.name.padEnd(20)} (agents wait ${side.waitMs / 1000} s): server CPU ${(100 * r.cpu).toFixed(1)} % of a core, ${r.callsPerSec.toFixed(1)} calls/s, ${((1000 * r.cpu) / agents).toFixed(3)} ms of CPU per agent per second`,
    );
  }
}
for (const [name, rs] of results) {
  const cpu = rs.map((r) => r.cpu);
  console.log(
    `${name}: median server CPU ${(100 * median(cpu)).toFixed(1)} % of a core (${(100 * Math.min(...cpu)).toFixed(1)}–${(100 * Math.max(...cpu)).toFixed(1)}), ${median(rs.map((r) => r.callsPerSec)).toFixed(1)} calls/s`,
  );
}
if (sides.length === 2) {
  const [a, b] = sides.map((s) => median((results.get(s.name) ?? []).map((r) => r.cpu)));
  console.log(`ratio of medians (this / old): ${((a ?? 0) / (b ?? 1)).toFixed(3)}`);
}
for (const side of sides) {
  await side.server.stop();
  rmSync(side.server.dataDir, { recursive: true, force: true });
}
process.exit(0);
