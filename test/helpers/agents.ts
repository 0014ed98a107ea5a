import assert from "node:assert/strict";
import type { ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_AGENT_COMMAND } from "../../server/src/agents/localAgent.js";
import type { Hosts } from "./hosts.js";
import type { RequestStats } from "@loadmgr/shared";
import { processesMentioning, type CsvRow } from "./runs.js";
import type { restClient } from "./server.js";

/** An agent (`loadmgr-locust agent`) running on one of the test's hosts, and what it has printed. */
export interface RunningAgent {
  host: number;
  name: string;
  dir: string;
  process: ChildProcess;
  output: () => string;
}

/** Starts an agent of the pool whose token this is on host `host`, dialing `serverUrl`. */
export function spawnAgent(
  hosts: Hosts,
  host: number,
  options: { serverUrl: string; token: string; name: string; capacity: number; args?: string[]; dir?: string },
): RunningAgent {
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), `loadmgr-agent-${options.name}-`));
  const child = hosts.spawn(host, DEFAULT_AGENT_COMMAND, [
    "agent",
    "--server",
    options.serverUrl,
    "--token",
    options.token,
    "--name",
    options.name,
    "--capacity",
    String(options.capacity),
    ...(options.args ?? []),
    "--dir",
    dir,
  ]);
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  return { host, name: options.name, dir, process: child, output: () => output };
}

/**
 * Ends a test's hosts and every agent on them (and whatever of their runs is left), runs `close`
 * (the server, the target), then removes the agents' directories.
 */
export async function removeHosts(hosts: Hosts, agents: RunningAgent[], close: () => Promise<void>): Promise<void> {
  hosts.remove();
  for (const agent of agents) {
    agent.process.kill("SIGKILL");
    for (const pid of processesMentioning(agent.dir)) process.kill(pid, "SIGKILL");
  }
  await close();
  for (const agent of agents) rmSync(agent.dir, { recursive: true, force: true });
}

/**
 * A run's figures as the API gives them equal Locust's own in the CSV its master wrote
 * (`locust_stats.csv` rows): per endpoint and in total, counts and percentiles to the bucket.
 */
export async function assertEqualsLocustCsv(
  api: ReturnType<typeof restClient>,
  runId: string,
  rows: CsvRow[],
): Promise<void> {
  const requests = (await api.get<RequestStats>(`/v1/runs/${runId}/requests`)).body;
  const ours = new Map([...requests.endpoints, requests.total].map((row) => [row.name, row]));
  assert.deepEqual(rows.map((row) => row.Name).sort(), [...ours.keys()].sort());
  for (const row of rows) {
    const mine = ours.get(row.Name ?? "");
    const what = `${row.Name}: ours ${JSON.stringify(mine)} vs Locust ${JSON.stringify(row)}`;
    assert.equal(mine?.numRequests, Number(row["Request Count"]), what);
    assert.equal(mine?.numFailures, Number(row["Failure Count"]), what);
    for (const p of [50, 90, 95, 99] as const) {
      assert.equal(mine?.[`p${p}ResponseMs`], Number(row[`${p}%`]), `p${p} ${what}`);
    }
  }
}
