// The bytes a browser moves to show a finished run's page, as Chromium's network layer counts them
// (headers and bodies as sent, compressed or not): cold (a fresh browser profile, nothing cached) and
// warm (the same profile opening the page again, as a user coming back does), split into the
// dashboard's own files and the API's answers. With --old DIR it measures an older checkout side by
// side (its own build, its own server), alternating rounds, so both see the same machine.
//   node --import tsx scripts/bench/page-bytes.ts [rounds=3] [--old DIR]
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { brotliCompressSync, gzipSync } from "node:zlib";
import type { BrowserContext } from "playwright-core";
import { encodeScript, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { launchBrowser } from "../../test/helpers/browser.js";
import { ADMIN_TOKEN } from "../../test/helpers/server.js";
import { stopServerProcess, type ServerProcess } from "../../test/helpers/serverProcess.js";
import { DEFAULT_SHAPE, seededRandom, syntheticSnapshot } from "./syntheticSnapshots.js";

const { values, positionals } = parseArgs({ options: { old: { type: "string" } }, allowPositionals: true });
const rounds = Number(positionals[0] ?? 3);
const CALLBACK = "bench-callback-token-0123456789";
/** A 10-minute run: 300 snapshots of 2 s, 20 endpoints. */
const SNAPSHOTS = 300;

const kib = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
const gitHead = (root: string) => execFileSync("git", ["-C", root, "rev-parse", "--short", "HEAD"]).toString().trim();

/** The server of the checkout at `root` (built first), API only, on a free port. */
async function serverAt(root: string): Promise<ServerProcess & { dir: string }> {
  execFileSync("bash", [join(root, "scripts/build-web.sh")], { cwd: root, stdio: "ignore" });
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-bench-bytes-"));
  const child = spawn(process.execPath, ["--import", "tsx", join(root, "scripts/bench/apiOnlyServer.ts")], {
    cwd: root,
    env: {
      ...process.env,
      HOST: "127.0.0.1",
      PORT: "0",
      LOADMGR_DATA_DIR: dir,
      LOADMGR_API_TOKEN: ADMIN_TOKEN,
      LOADMGR_LOCUST_CALLBACK_TOKEN: CALLBACK,
      LOG_LEVEL: "warn",
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  process.on("exit", () => child.kill("SIGKILL"));
  let output = "";
  const url = await new Promise<string>((done, fail) => {
    child.once("exit", (code) => fail(new Error(`${root}: exited with ${code}: ${output}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Load Manager is up at (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) done(match[1]);
    });
  });
  child.removeAllListeners("exit");
  return { child, url, output: () => output, dir };
}

async function post<T>(base: string, path: string, payload: unknown, token = ADMIN_TOKEN, expected = 201): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  if (res.status !== expected) throw new Error(`${path}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

/** One test and one finished run of SNAPSHOTS snapshots; the run's page address. */
async function seed(base: string): Promise<string> {
  const test = await post<LoadTest>(base, "/v1/load-tests", {
    name: "bytes bench",
    accountId: "bench",
    orgId: "bench",
    projectId: "bench",
    targetUrl: "http://127.0.0.1:9",
    scriptContent: encodeScript("from locust import HttpUser, task\n"),
    defaultDurationSec: 600,
  });
  const run = await post<LoadTestRun>(base, `/v1/load-tests/${test.id}/runs`, { durationSec: 600 });
  const random = seededRandom(7);
  // The server takes reports timed from 5 minutes before a run's creation: the snapshots are timed
  // closer together than their 2 s intervals say (the page draws as many points either way).
  const spacingMs = Math.floor(240_000 / SNAPSHOTS);
  const startedAt = Date.now() - SNAPSHOTS * spacingMs;
  for (let seq = 1; seq <= SNAPSHOTS; seq++) {
    const snapshot = syntheticSnapshot(run.id, seq, random, DEFAULT_SHAPE, startedAt);
    await post(
      base,
      "/v1/internal/locust/metrics",
      { ...snapshot, timestamp: startedAt + seq * spacingMs },
      CALLBACK,
      200,
    );
  }
  await post(
    base,
    "/v1/internal/locust/test-stop",
    { runId: run.id, timestamp: Date.now(), reason: "duration" },
    CALLBACK,
    200,
  );
  return `${base}/#/runs/${run.id}`;
}

interface Moved {
  files: number;
  api: number;
  requests: number;
}

/** Opens `url` in a new tab of `context` and counts what the network moved until its charts and endpoints show. */
async function load(context: BrowserContext, url: string): Promise<Moved> {
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send("Network.enable");
  const urls = new Map<string, string>();
  const moved: Moved = { files: 0, api: 0, requests: 0 };
  cdp.on("Network.requestWillBeSent", (e) => urls.set(e.requestId, e.request.url));
  cdp.on("Network.loadingFinished", (e) => {
    const path = new URL(urls.get(e.requestId) ?? url).pathname;
    if (e.encodedDataLength === 0) return; // from the cache: nothing crossed the network
    moved.requests++;
    if (path.startsWith("/trpc") || path.startsWith("/v1/")) moved.api += e.encodedDataLength;
    else moved.files += e.encodedDataLength;
  });
  await page.goto(url);
  const ready =
    `document.querySelector(".charts")?.getAttribute("data-seqs")?.endsWith(",${SNAPSHOTS}") === true && ` +
    `document.querySelectorAll("table.endpoints tbody tr").length === ${DEFAULT_SHAPE.endpoints}`;
  // Polled with evaluate: the page's CSP refuses the string-eval that waitForFunction(string) does.
  for (const deadline = Date.now() + 60_000; !(await page.evaluate<boolean>(ready)); await page.waitForTimeout(20)) {
    if (Date.now() > deadline) throw new Error(`${url} never showed its run`);
  }
  await page.waitForLoadState("networkidle");
  await page.close();
  return moved;
}

const roots: [string, string][] = [["this checkout", resolve(import.meta.dirname, "../..")]];
if (values.old !== undefined) roots.push([`old (${gitHead(values.old)})`, resolve(values.old)]);
const sides = [];
for (const [name, root] of roots) {
  const server = await serverAt(root);
  sides.push({ name, root, server, url: await seed(server.url), cold: [] as Moved[], warm: [] as Moved[] });
}

for (const side of sides) {
  console.log(`\n${side.name}: built files          bytes    gzip   brotli`);
  const dist = join(side.root, "web/dist");
  for (const file of readdirSync(dist).filter((f) => /\.(js|css|html)$/.test(f))) {
    const body = readFileSync(join(dist, file));
    console.log(
      `  ${file.padEnd(28)} ${kib(body.length).padStart(10)} ${kib(gzipSync(body).length).padStart(9)} ${kib(brotliCompressSync(body).length).padStart(9)}`,
    );
  }
}

const browser = await launchBrowser();
for (let round = 0; round < rounds; round++) {
  for (const side of sides) {
    const context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    await context.addInitScript(`localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`);
    side.cold.push(await load(context, side.url));
    side.warm.push(await load(context, side.url));
    await context.close();
  }
}
await browser.close();

const span = (xs: number[]) => `${kib(Math.min(...xs))}–${kib(Math.max(...xs))}`.padStart(22);
console.log(
  `\nrun page of a ${SNAPSHOTS}-snapshot run, ${rounds} rounds   load   dashboard files (min–max)   API answers (min–max)   requests on the network`,
);
for (const side of sides) {
  for (const [kind, loads] of [
    ["cold", side.cold],
    ["warm", side.warm],
  ] as const) {
    console.log(
      `  ${side.name.padEnd(40)} ${kind}   ${span(loads.map((l) => l.files))}      ${span(loads.map((l) => l.api))}   ${loads.map((l) => l.requests).join(", ")}`,
    );
  }
}

for (const side of sides) {
  await stopServerProcess(side.server.child);
  rmSync(side.server.dir, { recursive: true, force: true });
}
