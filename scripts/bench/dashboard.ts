// The dashboard in headless Chromium against a server process with seeded data: the bundle's size,
// how long each page takes from navigation to showing its data (cold: a fresh browser context, so
// nothing cached), its slowest API call, the page's JS heap and DOM size once shown, and how long a
// pushed snapshot takes to reach the run page's chart. Data goes in through the API and the ingest
// endpoint, as Locust would send it; the server runs without a job worker, so no Locust starts.
//   node --import tsx scripts/bench/dashboard.ts [hours=1] [tests=50] [repeats=5] [pushes=30] [runs=2000]
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { gzipSync } from "node:zlib";
import type { Browser, Page } from "playwright-core";
import { encodeScript, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { launchBrowser } from "../../test/helpers/browser.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess } from "../../test/helpers/serverProcess.js";
import { startBenchProcess } from "./benchProcess.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";
import { printCalibration } from "./calibration.js";

// This machine's pace now, before anything else runs (docs/performance.md reads figures against it).
await printCalibration();

const hours = Number(process.argv[2] ?? 1);
const testCount = Number(process.argv[3] ?? 50);
const repeats = Number(process.argv[4] ?? 5);
const pushes = Number(process.argv[5] ?? 30);
/** Runs in all, for the runs page: the tests' short runs, then runs left Pending up to this many. */
const runTotal = Number(process.argv[6] ?? 2000);
const CALLBACK = "bench-callback-token-0123456789";
const ROOT = resolve(import.meta.dirname, "../..");
const DIST = join(ROOT, "web/dist");

execFileSync("bash", [join(ROOT, "scripts/build-web.sh")], { stdio: "inherit" });
console.log("bundle (web/dist)          bytes   gzipped");
for (const name of readdirSync(DIST).filter((n) => !n.endsWith(".map"))) {
  const body = readFileSync(join(DIST, name));
  const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  console.log(`${name.padEnd(20)} ${kib(body.length).padStart(12)} ${kib(gzipSync(body).length).padStart(9)}`);
}

const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-web-"));
const server = await startBenchProcess("apiOnlyServer.ts", {
  LOADMGR_DATA_DIR: dir,
  LOADMGR_API_TOKEN: ADMIN_TOKEN,
  LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK,
  LOG_LEVEL: "warn",
});
// A bench that fails half-way must not leave its server behind (two failed runs once did).
process.on("exit", () => server.child.kill("SIGKILL"));

async function post<T>(path: string, payload: unknown, token = ADMIN_TOKEN, expected = 201): Promise<T> {
  const res = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  if (res.status !== expected) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

const random = seededRandom(11);
/**
 * The server takes reports timed from 5 minutes before a run's creation: a long run's snapshots are
 * timed closer together than their 2 s intervals say (at most 4 minutes in all). The pages draw and
 * the queries read as many points either way; only the chart's time axis is shorter.
 */
const SPAN_MS = 240_000;
const push = (runId: string, seq: number, startedAt: number, spacingMs: number) =>
  post(
    "/v1/internal/locust/metrics",
    { ...syntheticSnapshot(runId, seq, random, DEFAULT_SHAPE, startedAt), timestamp: startedAt + seq * spacingMs },
    CALLBACK,
    200,
  );
const finish = (runId: string, timestamp: number) =>
  post("/v1/internal/locust/test-stop", { runId, timestamp, reason: "duration" }, CALLBACK, 200);

/** A run that sent `snapshots` snapshots (of 2 s intervals) and then ended. */
async function finishedRun(testId: string, snapshots: number): Promise<string> {
  const run = await post<LoadTestRun>(`/v1/load-tests/${testId}/runs`, {
    durationSec: Math.max(1, (snapshots * DEFAULT_SHAPE.intervalMs) / 1000),
  });
  const spacingMs = Math.min(DEFAULT_SHAPE.intervalMs, Math.floor(SPAN_MS / snapshots));
  const startedAt = Date.now() - snapshots * spacingMs;
  for (let seq = 1; seq <= snapshots; seq++) await push(run.id, seq, startedAt, spacingMs);
  await finish(run.id, Date.now());
  return run.id;
}

const seeding = Date.now();
const tests: LoadTest[] = [];
for (let i = 0; i < testCount; i++) {
  tests.push(
    await post<LoadTest>("/v1/load-tests", {
      name: `bench test ${String(i + 1).padStart(3, "0")}`,
      tags: [`team-${i % 5}`],
      accountId: "bench",
      orgId: "bench",
      projectId: "bench",
      targetUrl: "http://127.0.0.1:9",
      scriptContent: encodeScript("from locust import HttpUser, task\n"),
      maxDurationSec: 86_400,
      defaultDurationSec: 3600,
    }),
  );
  for (let r = 0; r < 5; r++) await finishedRun(tests[i]?.id ?? "", 5);
  if (process.stdout.isTTY) process.stdout.write(`\rseeded ${i + 1}/${testCount} tests with 5 short runs each   `);
}
const [first] = tests;
if (first === undefined) throw new Error("no tests");
const snapshots = (hours * 3_600_000) / DEFAULT_SHAPE.intervalMs;
const longRun = await finishedRun(first.id, snapshots);
// The rest of the runs page's runs: started and left Pending (no job worker runs them).
// (Not of the test whose page is measured below: it keeps its 5 runs.)
const shortRuns = testCount * 5 + 1;
const others = tests.filter((_, i) => i !== 1);
for (let i = shortRuns; i < runTotal; i++) {
  await post<LoadTestRun>(`/v1/load-tests/${others[i % others.length]?.id ?? ""}/runs`, { durationSec: 60 });
}
console.log(
  `${process.stdout.isTTY ? "\n" : ""}seeded in ${((Date.now() - seeding) / 1000).toFixed(0)} s: ${testCount} tests, ${testCount * 5} short runs, ` +
    `one ${hours} h run of ${snapshots} snapshots × ${DEFAULT_SHAPE.endpoints} endpoints, ` +
    `${Math.max(runTotal, shortRuns)} runs in all`,
);

interface Shown {
  ms: number;
  /** From navigation to the page's script having run (DOMContentLoaded waits for module scripts). */
  scriptMs: number;
  /** The longest of the page's API requests (tRPC over HTTP), from sent to answered. */
  slowestApiMs: number;
  heapMiB: number;
  domNodes: number;
}

/** Opens `hash` in a fresh context (nothing cached) and times it until `ready` holds in the page. */
async function open(browser: Browser, hash: string, ready: string): Promise<Shown> {
  const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
  await context.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
  const page = await context.newPage();
  const began = performance.now();
  await page.goto(`${server.url}/${hash}`);
  // Polled with evaluate: the page's CSP refuses the string-eval that waitForFunction(string) does.
  const deadline = began + 120_000;
  while (!(await page.evaluate<boolean>(ready))) {
    if (performance.now() > deadline) throw new Error(`${hash} never showed: ${ready}`);
    await page.waitForTimeout(20);
  }
  const ms = performance.now() - began;
  const scriptMs = await page.evaluate<number>(
    'performance.getEntriesByType("navigation")[0].domContentLoadedEventEnd',
  );
  const slowestApiMs = await page.evaluate<number>(
    'Math.max(0, ...performance.getEntriesByType("resource").filter((e) => e.name.includes("/trpc/")).map((e) => e.duration))',
  );
  const cdp = await context.newCDPSession(page);
  await cdp.send("Performance.enable");
  const { metrics } = await cdp.send("Performance.getMetrics");
  const metric = (name: string) => metrics.find((m) => m.name === name)?.value ?? 0;
  const shown = { ms, scriptMs, slowestApiMs, heapMiB: metric("JSHeapUsedSize") / 2 ** 20, domNodes: metric("Nodes") };
  await context.close();
  return shown;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

const browser = await launchBrowser();
const pages: [string, string, string][] = [
  [
    `test list (${testCount} tests), rows`,
    "#/",
    `document.querySelectorAll("tr[data-test-id]").length === ${testCount}`,
  ],
  [
    `test list (${testCount} tests), sparklines too`,
    "#/",
    `document.querySelectorAll("svg.sparkline").length === ${testCount}`,
  ],
  [
    `runs page (${Math.max(runTotal, shortRuns)} runs), first 50 rows`,
    "#/runs",
    `document.querySelectorAll("table.all-runs tbody tr").length === 50`,
  ],
  [
    "test detail (5 runs, trend, editor)",
    `#/tests/${tests[1]?.id ?? ""}`,
    `document.querySelectorAll("table.runs tbody tr").length === 5 && document.querySelector(".chart-plot") !== null && ` +
      `document.querySelector(".cm-content") !== null`,
  ],
  [
    `run page, finished ${hours} h run`,
    `#/runs/${longRun}`,
    `document.querySelector(".charts")?.getAttribute("data-seqs")?.endsWith(",${snapshots}") === true && ` +
      `document.querySelectorAll("table.endpoints tbody tr").length === ${DEFAULT_SHAPE.endpoints}`,
  ],
];
console.log(
  `\npage, cold (${repeats} loads)                 first ms   median ms   max ms   script ran ms   slowest API call ms   JS heap MiB   DOM nodes`,
);
for (const [name, hash, ready] of pages) {
  const loads: Shown[] = [];
  for (let i = 0; i < repeats + 1; i++) loads.push(await open(browser, hash, ready));
  const [cold, ...rest] = loads;
  const times = rest.map((l) => l.ms);
  const column = (value: number, digits: number, width: number) => value.toFixed(digits).padStart(width);
  console.log(
    [
      name.padEnd(42),
      column(cold?.ms ?? 0, 0, 8),
      column(median(times), 0, 11),
      column(Math.max(...times), 0, 8),
      column(median(rest.map((l) => l.scriptMs)), 0, 15),
      column(median(rest.map((l) => l.slowestApiMs)), 0, 21),
      column(median(rest.map((l) => l.heapMiB)), 1, 13),
      column(median(rest.map((l) => l.domNodes)), 0, 11),
    ].join(" "),
  );
}

/** A running run with the page open: the time from a push's acknowledgement to its seq on the chart. */
async function liveLatency(page: Page): Promise<number[]> {
  const run = await post<LoadTestRun>(`/v1/load-tests/${first?.id ?? ""}/runs`, { durationSec: 3600 });
  const startedAt = Date.now();
  await push(run.id, 1, startedAt, DEFAULT_SHAPE.intervalMs);
  await page.goto(`${server.url}/#/runs/${run.id}`);
  await page.waitForSelector('.charts[data-seqs="1"]');
  const latencies: number[] = [];
  for (let seq = 2; seq <= pushes + 1; seq++) {
    // A string, not a function: tsx's helpers (__name) do not exist in the page.
    const shownAt = page.evaluate<number>(`new Promise((done) => {
      const charts = document.querySelector(".charts");
      const seen = () => charts.getAttribute("data-seqs").endsWith(",${seq}");
      if (seen()) done(Date.now());
      new MutationObserver(() => seen() && done(Date.now())).observe(charts, { attributes: true });
    })`);
    await page.waitForTimeout(50); // the observer is in place before the push
    const sent = Date.now();
    await push(run.id, seq, startedAt, DEFAULT_SHAPE.intervalMs);
    latencies.push((await shownAt) - sent);
    await page.waitForTimeout(1000 - 50);
  }
  await finish(run.id, Date.now());
  return latencies;
}

const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
await context.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
const live = (await liveLatency(await context.newPage())).sort((a, b) => a - b);
const at = (p: number) => live[Math.min(live.length - 1, Math.floor(live.length * p))] ?? 0;
console.log(
  `\nlive: ${live.length} pushes at 1/s, push sent → seq on the run page's chart: ` +
    `p50 ${at(0.5)} ms, p90 ${at(0.9)} ms, max ${live.at(-1) ?? 0} ms`,
);

await browser.close();
await stopServerProcess(server.child);
rmSync(dir, { recursive: true, force: true });
