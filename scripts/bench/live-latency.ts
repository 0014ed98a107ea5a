// Live latency: from the moment a snapshot push leaves Locust's side to the moment a dashboard's
// WebSocket subscription (runs.onMetrics) delivers it. Several subscribers watch one run; pushes go
// out at a steady rate. Measured with one server process (in-process fan-out) and with two server
// processes sharing one Redis (push to one, subscribers on the other). Loopback only; bounded count.
//   node --import tsx scripts/bench/live-latency.ts [pushes=300] [perSecond=20] [subscribers=10]
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeScript, type LiveMetrics, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { collect, liveClient } from "../../test/helpers/liveClient.js";
import type { LoadManagerClient } from "../../client/src/index.js";
import { startRedis } from "../../test/helpers/redis.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess, type ServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const [pushes = 300, perSecond = 20, subscribers = 10] = process.argv.slice(2).map(Number);
const CALLBACK = "bench-callback-token-0123456789";

const startServer = (env: Record<string, string>): Promise<ServerProcess> =>
  startBenchProcess("apiOnlyServer.ts", {
    LOG_LEVEL: "warn",
    LOADMGR_API_TOKEN: ADMIN_TOKEN,
    LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK,
    ...env,
  });

async function post<T>(url: string, path: string, token: string, body: unknown): Promise<T> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(body),
  });
  if (res.status >= 300) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

async function measure(name: string, ingestUrl: string, watchUrl: string): Promise<void> {
  const test = await post<LoadTest>(ingestUrl, "/v1/load-tests", ADMIN_TOKEN, {
    name: "live latency bench",
    accountId: "bench",
    orgId: "bench",
    projectId: "bench",
    targetUrl: "http://127.0.0.1:9",
    scriptContent: encodeScript("print('not run')\n"),
    maxDurationSec: 86_400,
    defaultDurationSec: 86_400,
  });
  const run = await post<LoadTestRun>(ingestUrl, `/v1/load-tests/${test.id}/runs`, ADMIN_TOKEN, {});
  const clients: LoadManagerClient[] = Array.from({ length: subscribers }, () => liveClient(watchUrl, ADMIN_TOKEN));
  const sentAt = new Map<number, number>();
  const latencies: number[] = [];
  const received = clients.map((client) => collect<LiveMetrics>(client.runs.onMetrics, { runId: run.id }));
  await sleep(500); // every subscription in place
  const random = seededRandom(5);
  // Each snapshot spans the time between pushes and is stamped when it is sent, as the plugin's are
  // (the server takes none stamped more than a minute ahead of its clock).
  const shape = { ...DEFAULT_SHAPE, samples: false, intervalMs: Math.max(1, Math.round(1000 / perSecond)) };
  const bodies = Array.from({ length: pushes }, (_, i) => syntheticSnapshot(run.id, i + 1, random, shape));
  const started = performance.now();
  for (const [i, body] of bodies.entries()) {
    const due = started + (i * 1000) / perSecond;
    if (due > performance.now()) await sleep(due - performance.now());
    sentAt.set(i + 1, performance.now());
    await post(ingestUrl, "/v1/internal/locust/metrics", CALLBACK, body);
  }
  const deadline = Date.now() + 10_000;
  const delivered = (): number => received.reduce((n, r) => n + r.events.length, 0);
  while (delivered() < pushes * subscribers && Date.now() < deadline) await sleep(20);
  for (const r of received) {
    for (const event of r.events) latencies.push(event.at - (sentAt.get(event.data.seq) ?? Number.NaN));
  }
  for (const r of received) r.stop();
  latencies.sort((a, b) => a - b);
  const at = (p: number): string => (latencies[Math.floor((latencies.length - 1) * p)] ?? NaN).toFixed(1);
  console.log(
    `${name.padEnd(44)} ${String(latencies.length).padStart(9)}/${pushes * subscribers} ${at(0.5).padStart(8)} ${at(0.99).padStart(8)} ${at(1).padStart(8)}`,
  );
}

console.log(
  `${pushes} snapshots at ${perSecond}/s to one run, ${subscribers} WebSocket subscribers (ms from push sent)`,
);
console.log("setup                                          delivered      p50      p99      max");
// Whatever happens, what a setup started is ended (a failed measurement leaves no server behind).
{
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-live-"));
  const server = await startServer({ LOADMGR_DATA_DIR: dir });
  try {
    await measure("one process (in-process fan-out)", server.url, server.url);
  } finally {
    await stopServerProcess(server.child);
    rmSync(dir, { recursive: true, force: true });
  }
}
{
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-live-"));
  const redis = await startRedis();
  const env = { LOADMGR_DATA_DIR: dir, REDIS_URL: redis.url };
  const servers = await Promise.allSettled([startServer(env), startServer(env)]);
  try {
    const [a, b] = servers.map((s) => {
      if (s.status === "rejected") throw s.reason;
      return s.value;
    });
    if (a === undefined || b === undefined) throw new Error("two servers did not start");
    await measure("two processes via Redis (push A, watch B)", a.url, b.url);
  } finally {
    for (const s of servers) if (s.status === "fulfilled") await stopServerProcess(s.value.child);
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
