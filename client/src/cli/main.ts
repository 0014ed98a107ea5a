import { existsSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { TRPCClientError } from "@trpc/client";
import { WebSocket } from "ws";
import { createLoadManagerClient, type LoadManagerClient } from "../index.js";
import { readProfile, resolveConnection, UsageError, writeProfile } from "./connection.js";
import { evaluate, parseThreshold, ThresholdError, type Figures, type Threshold } from "./thresholds.js";

/** Exit codes a CI pipeline can branch on. */
export const EXIT = { ok: 0, usage: 1, runFailed: 3, unreachable: 4, thresholdsBreached: 99 } as const;

const HELP = `loadmgr — the Load Manager CLI

  loadmgr login [--url URL] --token TOKEN
  loadmgr tests create -f locustfile.py --name NAME --target URL [--account A --org O --project P]
                       [--env E --users N --spawn-rate R --duration S --max-duration S --tag T… --cluster C]
  loadmgr tests list | tests show <id>
  loadmgr run <testId> [--users N --spawn-rate R --duration S --name NAME] [--wait | --watch]
                       [--threshold "p95<300"]…
  loadmgr runs list | runs show <id> | runs stop <id>

  --json       print what the API returns, as JSON
  --url/--token   override LOADMGR_URL / LOADMGR_TOKEN / the saved profile
Exit codes: 0 ok, 1 bad input or refused, 3 the run failed, 4 server unreachable, 99 a threshold breached.`;

interface Io {
  out: (line: string) => void;
  err: (line: string) => void;
  env: NodeJS.ProcessEnv;
  cwd: string;
  isTTY: boolean;
}

const OPTIONS = {
  url: { type: "string" },
  token: { type: "string" },
  json: { type: "boolean", default: false },
  file: { type: "string", short: "f" },
  name: { type: "string" },
  target: { type: "string" },
  account: { type: "string" },
  org: { type: "string" },
  project: { type: "string" },
  env: { type: "string" },
  users: { type: "string" },
  "spawn-rate": { type: "string" },
  duration: { type: "string" },
  "max-duration": { type: "string" },
  tag: { type: "string", multiple: true },
  cluster: { type: "string" },
  description: { type: "string" },
  wait: { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
  threshold: { type: "string", multiple: true },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

function number(values: Values, key: "users" | "spawn-rate" | "duration" | "max-duration"): number | undefined {
  const raw = values[key];
  if (raw === undefined) return undefined;
  const parsed = Number(raw);
  if (!Number.isFinite(parsed)) throw new UsageError(`--${key} must be a number, not "${raw}"`);
  return parsed;
}

function table(rows: Record<string, string | number>[], io: Io): void {
  if (rows.length === 0) return io.out("(none)");
  const columns = Object.keys(rows[0] ?? {});
  const widths = columns.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c]).length)));
  io.out(columns.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  "));
  for (const row of rows) io.out(columns.map((c, i) => String(row[c]).padEnd(widths[i] ?? 0)).join("  "));
}

function figuresOf(row: {
  p50ResponseMs: number;
  p90ResponseMs: number;
  p95ResponseMs: number;
  p99ResponseMs: number;
  avgResponseMs: number;
  maxResponseMs: number;
  requestsPerSec: number;
  numRequests: number;
  numFailures: number;
}): Figures {
  return {
    p50: row.p50ResponseMs,
    p90: row.p90ResponseMs,
    p95: row.p95ResponseMs,
    p99: row.p99ResponseMs,
    avg: row.avgResponseMs,
    max: row.maxResponseMs,
    rps: row.requestsPerSec,
    error_rate: row.numRequests > 0 ? (100 * row.numFailures) / row.numRequests : 0,
  };
}

/** Follows a run to its end: one line per snapshot, or (on a terminal) one refreshing line with a progress bar. */
async function follow(client: LoadManagerClient, runId: string, durationSeconds: number, io: Io): Promise<void> {
  const started = Date.now();
  await new Promise<void>((resolve, reject) => {
    const subscription = client.runs.onMetrics.subscribe(
      { runId, lastEventId: "0" },
      {
        onData: ({ data }) => {
          const errorRate = data.totalRequests > 0 ? (100 * data.totalFailures) / data.totalRequests : 0;
          const line = `users ${data.users}  rps ${data.requestsPerSec.toFixed(1)}  errors ${errorRate.toFixed(2)}%  p95 ${data.p95ResponseMs} ms  requests ${data.totalRequests}`;
          if (io.isTTY) {
            const done = Math.min(1, (Date.now() - started) / 1000 / durationSeconds);
            const bar = "#".repeat(Math.round(done * 20)).padEnd(20, ".");
            process.stdout.write(`\r[${bar}] ${line}   `);
          } else {
            io.out(`seq ${data.seq}  ${line}`);
          }
        },
        onError: reject,
        onComplete: () => {
          if (io.isTTY) process.stdout.write("\n");
          resolve();
        },
      },
    );
    if (io.isTTY) {
      process.once("SIGINT", () => {
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        rl.question("\nStop the run? [y/N] ")
          .then(async (answer) => {
            rl.close();
            if (/^y/i.test(answer)) await client.runs.stop.mutate({ id: runId });
            else subscription.unsubscribe();
            if (!/^y/i.test(answer)) resolve();
          })
          .catch(reject);
      });
    }
  });
}

async function runCommand(client: LoadManagerClient, testId: string, values: Values, io: Io): Promise<number> {
  const thresholds: Threshold[] = (values.threshold ?? []).map(parseThreshold);
  const created = await client.runs.create.mutate({
    id: testId,
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...(values.users !== undefined ? { targetUsers: number(values, "users") } : {}),
    ...(values["spawn-rate"] !== undefined ? { spawnRate: number(values, "spawn-rate") } : {}),
    ...(values.duration !== undefined ? { durationSeconds: number(values, "duration") } : {}),
  });
  const waiting = values.wait || values.watch || thresholds.length > 0;
  if (!waiting) {
    io.out(values.json ? JSON.stringify(created) : created.id);
    return EXIT.ok;
  }
  if (!values.json) io.out(`run ${created.id} started (${created.durationSeconds} s)`);
  await follow(client, created.id, created.durationSeconds, { ...io, isTTY: io.isTTY && values.watch });
  const [run, requests] = await Promise.all([
    client.runs.get.query({ id: created.id }),
    client.analytics.requests.query({ id: created.id }),
  ]);
  const endpoints = new Map(requests.endpoints.map((row) => [`${row.method} ${row.name}`, figuresOf(row)]));
  const verdict = evaluate(thresholds, figuresOf(requests.total), endpoints);
  if (values.json) {
    io.out(JSON.stringify({ run, requests, thresholds: verdict }));
  } else {
    io.out(`run ${run.id} ${run.status}${run.failureReason !== null ? `: ${run.failureReason}` : ""}`);
    table(
      [...requests.endpoints, requests.total].map((row) => ({
        endpoint: `${row.method} ${row.name}`.trim(),
        requests: row.numRequests,
        failures: row.numFailures,
        rps: row.requestsPerSec.toFixed(1),
        p50: row.p50ResponseMs,
        p95: row.p95ResponseMs,
        p99: row.p99ResponseMs,
      })),
      io,
    );
    for (const v of verdict.verdicts) {
      io.out(
        `${v.passed ? "✓" : "✗"} ${v.threshold}  (measured ${v.measured === null ? "nothing" : v.measured.toFixed(2)})`,
      );
    }
  }
  if (run.status === "Failed") return EXIT.runFailed;
  return verdict.passed ? EXIT.ok : EXIT.thresholdsBreached;
}

/** Runs one CLI invocation; returns the exit code. */
export async function main(argv: string[], io: Io): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    io.err(`loadmgr: ${(error as Error).message} (loadmgr --help)`);
    return EXIT.usage;
  }
  const { values, positionals } = parsed;
  const [command, sub, id] = positionals;
  if (values.help || command === undefined) {
    io.out(HELP);
    return values.help ? EXIT.ok : EXIT.usage;
  }
  let url = "";
  try {
    if (command === "login") {
      const token = values.token ?? io.env.LOADMGR_TOKEN;
      if (token === undefined) throw new UsageError("login needs --token (or LOADMGR_TOKEN)");
      const connection = { url: values.url ?? io.env.LOADMGR_URL ?? "http://127.0.0.1:8080", token };
      url = connection.url;
      await createLoadManagerClient({ ...connection, WebSocket }).loadTests.list.query({ limit: 1 });
      const path = writeProfile(io.env, {
        ...readProfile(io.env),
        ...connection,
        ...(values.account !== undefined ? { accountId: values.account } : {}),
        ...(values.org !== undefined ? { orgId: values.org } : {}),
        ...(values.project !== undefined ? { projectId: values.project } : {}),
      });
      io.out(`logged in to ${connection.url}; profile saved in ${path}`);
      return EXIT.ok;
    }
    const connection = resolveConnection(values, io.env, io.cwd);
    url = connection.url;
    const client = createLoadManagerClient({ ...connection, WebSocket });
    const profile = readProfile(io.env);
    const print = (value: unknown, human: () => void): void => (values.json ? io.out(JSON.stringify(value)) : human());

    if (command === "tests" && sub === "create") {
      const file = values.file;
      if (file === undefined) throw new UsageError("tests create needs -f <locustfile.py>");
      if (!existsSync(file)) throw new UsageError(`no such file: ${file}`);
      if (!file.endsWith(".py")) throw new UsageError(`${file} is not a Python file (a locustfile ends in .py)`);
      const accountId = values.account ?? profile.accountId;
      const orgId = values.org ?? profile.orgId;
      const projectId = values.project ?? profile.projectId;
      if (accountId === undefined || orgId === undefined || projectId === undefined) {
        throw new UsageError("tests create needs --account, --org and --project (or set them with `loadmgr login`)");
      }
      if (values.name === undefined || values.target === undefined)
        throw new UsageError("tests create needs --name and --target");
      const test = await client.loadTests.create.mutate({
        name: values.name,
        accountId,
        orgId,
        projectId,
        targetUrl: values.target,
        scriptContent: readFileSync(file).toString("base64"),
        tags: values.tag ?? [],
        ...(values.env !== undefined ? { envId: values.env } : {}),
        ...(values.cluster !== undefined ? { locustClusterId: values.cluster } : {}),
        ...(values.description !== undefined ? { description: values.description } : {}),
        ...(values.users !== undefined ? { defaultUsers: number(values, "users") } : {}),
        ...(values["spawn-rate"] !== undefined ? { defaultSpawnRate: number(values, "spawn-rate") } : {}),
        ...(values.duration !== undefined ? { defaultDurationSec: number(values, "duration") } : {}),
        ...(values["max-duration"] !== undefined ? { maxDurationSec: number(values, "max-duration") } : {}),
      });
      print(test, () => io.out(test.id));
      return EXIT.ok;
    }
    if (command === "tests" && sub === "list") {
      const page = await client.loadTests.list.query({});
      print(page, () =>
        table(
          page.items.map((t) => ({
            id: t.id,
            name: t.name,
            project: `${t.accountId}/${t.orgId}/${t.projectId}`,
            target: t.targetUrl,
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "tests" && sub === "show" && id !== undefined) {
      const test = await client.loadTests.get.query({ id });
      print(test, () => io.out(JSON.stringify(test, null, 2)));
      return EXIT.ok;
    }
    if (command === "run" && sub !== undefined) return await runCommand(client, sub, values, io);
    if (command === "runs" && sub === "list") {
      const page = await client.runs.list.query({});
      print(page, () =>
        table(
          page.items.map((r) => ({
            id: r.id,
            test: r.loadTestId,
            status: r.status,
            users: r.targetUsers,
            created: new Date(r.createdAt).toISOString(),
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "runs" && (sub === "show" || sub === "stop") && id !== undefined) {
      const run = sub === "show" ? await client.runs.get.query({ id }) : await client.runs.stop.mutate({ id });
      print(run, () => io.out(`${run.id} ${run.status}`));
      return EXIT.ok;
    }
    throw new UsageError(`unknown command "${positionals.join(" ")}" (loadmgr --help)`);
  } catch (error) {
    if (error instanceof UsageError || error instanceof ThresholdError) {
      io.err(`loadmgr: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof TRPCClientError) {
      const data = (error as TRPCClientError<never>).data as { appCode?: string; field?: string } | undefined;
      if (data?.appCode === undefined) {
        io.err(`loadmgr: could not reach the server at ${url} (is it running? \`npm start\`)`);
        return EXIT.unreachable;
      }
      io.err(`loadmgr: ${data.appCode}: ${error.message}${data.field !== undefined ? ` (${data.field})` : ""}`);
      return EXIT.usage;
    }
    throw error;
  }
}
