import assert from "node:assert/strict";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { encodeScript, isTerminal, type LoadTest, type LoadTestRun } from "@loadmgr/shared";
import { ADMIN_TOKEN, type restClient } from "./server.js";
import { eventually } from "./wait.js";

type Api = ReturnType<typeof restClient>;

export const SCOPE = { accountId: "acme", orgId: "web", projectId: "shop" };

export async function createTest(
  api: Api,
  targetUrl: string,
  script: string,
  extra: Record<string, unknown> = {},
): Promise<LoadTest> {
  const res = await api.post<LoadTest>("/v1/load-tests", {
    ...SCOPE,
    name: "lifecycle",
    targetUrl,
    scriptContent: encodeScript(script),
    defaultUsers: 4,
    defaultSpawnRate: 4,
    defaultDurationSec: 4,
    maxDurationSec: 600,
    ...extra,
  });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

export async function startRun(
  api: Api,
  testId: string,
  overrides: Record<string, unknown> = {},
): Promise<LoadTestRun> {
  const res = await api.post<LoadTestRun>(`/v1/load-tests/${testId}/runs`, overrides);
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

/** Polls the run over REST until `done` holds; fails with the last state after `ms`. */
export async function waitForRun(
  api: Api,
  runId: string,
  done: (run: LoadTestRun) => boolean,
  ms = 45_000,
): Promise<LoadTestRun> {
  const deadline = Date.now() + ms;
  let run: LoadTestRun | undefined;
  while (Date.now() < deadline) {
    run = (await api.get<LoadTestRun>(`/v1/runs/${runId}`)).body;
    if (done(run)) return run;
    await sleep(200);
  }
  assert.fail(`run ${runId} did not get there in ${ms} ms; last: ${JSON.stringify(run)}`);
}

export const ended = (run: LoadTestRun): boolean => isTerminal(run.status);
export const reporting = (run: LoadTestRun): boolean => run.status === "Running" && run.lastMetrics !== null;

/** Waits until none of the run's processes is left; after that, Locust's log is complete. */
export async function locustGone(runDir: string, ms = 15_000): Promise<void> {
  await eventually(() => processesMentioning(runDir).length === 0, ms, `the processes of ${runDir} to exit`);
}

/**
 * The request and failure counts of the last stats table Locust printed as it shut down (it prints
 * it after delivering the final snapshot, so this waits for Locust to exit first).
 */
export async function locustPrintedTotals(runDir: string): Promise<{ requests: number; failures: number }> {
  await locustGone(runDir);
  const rows = [...readFileSync(join(runDir, "locust.log"), "utf-8").matchAll(/Aggregated\s+(\d+)\s+(\d+)\(/g)];
  const last = rows.at(-1);
  if (process.env.DEBUG_LOG) writeFileSync(process.env.DEBUG_LOG, readFileSync(join(runDir, "locust.log"), "utf-8"));
  assert.ok(last, "Locust printed no final stats table");
  return { requests: Number(last[1]), failures: Number(last[2]) };
}

/** Pids of the processes whose command line mentions `needle` (a run directory). */
export function processesMentioning(needle: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf-8");
      const stat = readFileSync(`/proc/${entry}/stat`, "utf-8");
      if (cmdline.includes(needle) && !/\) Z /.test(stat)) pids.push(Number(entry));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** The Locust processes (master and workers) of a local run: the descendants of its supervisor, in its sandbox. */
export function locustProcesses(runDir: string): { pid: number; master: boolean }[] {
  let supervisor: number;
  try {
    supervisor = (JSON.parse(readFileSync(join(runDir, "supervisor.json"), "utf-8")) as { pid: number }).pid;
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  const cmdlines = new Map<number, string>();
  for (const entry of readdirSafe("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf-8");
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      if (fields[0] === "Z") continue;
      const parent = Number(fields[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(entry)]);
      cmdlines.set(Number(entry), readFileSync(`/proc/${entry}/cmdline`, "utf-8"));
    } catch {
      // gone meanwhile
    }
  }
  const found: { pid: number; master: boolean }[] = [];
  const queue = [...(children.get(supervisor) ?? [])];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    queue.push(...(children.get(pid) ?? []));
    const cmdline = cmdlines.get(pid) ?? "";
    if (cmdline.includes("loadmgr_locust\0locust\0")) found.push({ pid, master: cmdline.includes("--loadmgr-run-id") });
  }
  return found;
}

/** The host pid of a local run's Locust master (or single process). */
export function masterPid(runDir: string): number {
  const master = locustProcesses(runDir).find((p) => p.master);
  assert.ok(master, `no Locust master found for ${runDir}`);
  return master.pid;
}

function readdirSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

export type CsvRow = Record<string, string>;

/** Locust's CSV (locust_stats.csv): one object per row, by column name. */
export function readCsv(path: string): CsvRow[] {
  return parseCsv(readFileSync(path, "utf-8"));
}

export function parseCsv(text: string): CsvRow[] {
  const [header, ...lines] = text.trim().split(/\r?\n/);
  const columns = (header ?? "").split(",").map((c) => c.replaceAll('"', ""));
  return lines.map((line) => {
    const cells = line.split(",").map((c) => c.replaceAll('"', ""));
    return Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ""]));
  });
}

/**
 * A file of the run's Locust as the server collected it when the run's master ended (after the run's
 * end: waited for until it is there).
 */
export async function collectedFile(serverUrl: string, runId: string, name: string, ms = 30_000): Promise<string> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await fetch(`${serverUrl}/v1/runs/${runId}/files/${name}`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    if (res.status === 200) return res.text();
    assert.equal(res.status, 404, await res.text());
    if (Date.now() > deadline) assert.fail(`the server did not collect ${name} of run ${runId}`);
    await sleep(200);
  }
}
