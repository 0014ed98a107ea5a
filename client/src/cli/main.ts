import { appendFileSync, mkdirSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { createInterface } from "node:readline/promises";
import { parseArgs } from "node:util";
import { TRPCClientError } from "@trpc/client";
import { WebSocket } from "ws";
import { createLoadManagerClient, wholeTimeseries, type LoadManagerClient } from "../index.js";
import {
  agentInstallCommands,
  apiErrorData,
  compareRuns,
  errorRatePercent,
  fileChanges,
  LOCUSTFILE_PATH,
  markdownSummary,
  parseThresholdItem,
  RUN_STATUSES,
  RUN_OUTCOMES,
  runDifferences,
  type RunOutcome,
  ThresholdError,
  unifiedDiff,
  waitingFor,
  type Change,
  type LoadTestRun,
  type RequestStats,
  type RegionShare,
  type RunStatus,
  type ScheduleOverrides,
  type ThresholdItem,
  type WebhookEvent,
} from "@loadmgr/shared";
import { DEFAULT_URL, readProfile, resolveConnection, UsageError, writeProfile } from "./connection.js";
import { parseParams, parseStage, readProject, type Project } from "./project.js";

/** Exit codes a CI pipeline can branch on. */
export const EXIT = { ok: 0, usage: 1, runFailed: 3, unreachable: 4, noSuccess: 98, thresholdsBreached: 99 } as const;

const HELP = `loadmgr — the Load Manager CLI

  loadmgr login [--url URL] --token TOKEN
  loadmgr tests create (-f locustfile.py [--file lib/x.py…] | --dir ./suite) --name NAME --target URL
                       [--account A --org O --project P] [--split data/users.csv…] (rows shared out among workers)
                       [--env E --users N --spawn-rate R --duration S --max-duration S --tag T…]
                       [--secret NAME… --param NAME=value… --stage SECONDS:USERS[:RATE]…]
                       [--pool POOL_ID [--workers N]] (its runs go to an agent pool; default: the server's host)
                       [--allow-host HOST…] (what its scripts may reach besides the target: host[:port], IP, CIDR, *.domain)
                       [--threshold "p95<300"]… (every run is judged against them unless it names its own)
                       [--fail-on-regression] (a run slower than its env's baseline fails its verdict)
  loadmgr tests list | tests show <id> | tests delete <id>
  loadmgr tests edit-script <id> (-f new.py [--file …] | --dir ./suite) [-m "why"] (-f alone keeps the other files)
  loadmgr tests revisions <id> | tests diff <id> <revA> <revB> (every file)
  loadmgr run <testId> [--users N --spawn-rate R --duration S | --stage SECONDS:USERS[:RATE]…] [--name NAME]
                       [--target URL --env E --tag T… --param NAME=value…] [--wait | --watch]
                       [--threshold "p95<300"]… [--workers N --min-workers N] (on a pool)
                       [--region NAME=SHARE…] (on a pool: e.g. --region eu=60 --region us=40 splits the workers
                       over agents labelled region=eu and region=us; each region's figures are kept)
                       [--threshold "p95<300 abort [window=10s] [delay=10s]"] (stops the run on a breach)
                       [--compare-baseline] (print the comparison with the env's baseline; exit 99 on a regression)
                       [--allow-no-success] (exit 0, not 98, when no request succeeded or 90 % failed)
                       [--summary markdown [--summary-file F]] (a Markdown summary at the end; appended to F,
                       e.g. $GITHUB_STEP_SUMMARY, instead of printed)
  loadmgr runs list [--test ID --status S --outcome O --env E --tag T] | runs show <id> | runs stop <id>
  loadmgr runs load <id> --users N [--spawn-rate R] (a running run's users from now on; not with stages)
  loadmgr runs compare <runA> <runB> | runs export <id> [--format csv|json]
  loadmgr runs baseline <id> [--clear] (later runs of its test in its env are compared with it)
  loadmgr runs report <id> [-o report.html] (the self-contained HTML report; stdout without -o)
  loadmgr runs files <id> [--dir D] (Locust's own CSVs and log, collected as its master ended; saved into D)
  loadmgr pools create --name NAME [--account A --org O --project P --env E] (prints the enrollment token once)
  loadmgr pools list | pools rotate-token <poolId> | pools revoke-token <poolId> | pools delete <poolId>
  loadmgr agents forget <agentId> --pool <poolId>
  loadmgr agents list [--pool POOL_ID]
  loadmgr secrets set NAME [--env E] (the value from stdin, or --value V) | secrets list [--env E] | secrets delete NAME [--env E]
  loadmgr webhooks create --to URL --event run.finished… [--format slack] [--secret S] [--env E]
                       (events: run.started run.finished run.failed run.stopped threshold.breached regression.detected)
  loadmgr webhooks list | webhooks deliveries <id> | webhooks enable <id> | webhooks disable <id> | webhooks delete <id>
  loadmgr schedules create <testId> --cron "0 2 * * 1-5" [--tz Europe/Berlin] [run overrides: --users --duration
                       --stage --target --env --tag --param --threshold…] | schedules list <testId>
  loadmgr schedules enable <id> | schedules disable <id> | schedules delete <id>

  --json       print what the API returns, as JSON
  --url/--token   override LOADMGR_URL / LOADMGR_TOKEN / the saved profile
Exit codes: 0 ok, 1 bad input or refused, 3 the run failed, 4 server unreachable,
98 no success (no successful request, or at least 90 % failed; --allow-no-success: 0),
99 a threshold breached (also when it aborted the run) or, with --compare-baseline, a regression.`;

function outcomeOption(value: string): RunOutcome {
  const outcome = RUN_OUTCOMES.find((o) => o === value.toLowerCase());
  if (outcome === undefined) throw new UsageError(`--outcome must be one of ${RUN_OUTCOMES.join(", ")}`);
  return outcome;
}

function runStatusOption(value: string): RunStatus {
  const status = RUN_STATUSES.find((s) => s.toLowerCase() === value.toLowerCase());
  if (status === undefined) throw new UsageError(`--status must be one of ${RUN_STATUSES.join(", ")}`);
  return status;
}

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
  file: { type: "string", short: "f", multiple: true },
  dir: { type: "string" },
  split: { type: "string", multiple: true },
  secret: { type: "string", multiple: true },
  param: { type: "string", multiple: true },
  stage: { type: "string", multiple: true },
  value: { type: "string" },
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
  "allow-host": { type: "string", multiple: true },
  test: { type: "string" },
  status: { type: "string" },
  description: { type: "string" },
  wait: { type: "boolean", default: false },
  watch: { type: "boolean", default: false },
  threshold: { type: "string", multiple: true },
  "compare-baseline": { type: "boolean", default: false },
  "allow-no-success": { type: "boolean", default: false },
  outcome: { type: "string" },
  "fail-on-regression": { type: "boolean", default: false },
  clear: { type: "boolean", default: false },
  summary: { type: "string" },
  "summary-file": { type: "string" },
  output: { type: "string", short: "o" },
  event: { type: "string", multiple: true },
  to: { type: "string" },
  cron: { type: "string" },
  tz: { type: "string" },
  message: { type: "string", short: "m" },
  format: { type: "string" },
  pool: { type: "string" },
  workers: { type: "string" },
  "min-workers": { type: "string" },
  region: { type: "string", multiple: true },
  help: { type: "boolean", short: "h", default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>["values"];

function number(
  values: Values,
  key: "users" | "spawn-rate" | "duration" | "max-duration" | "workers" | "min-workers",
): number | undefined {
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
  const line = (cells: string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  io.out(line(columns));
  for (const row of rows) io.out(line(columns.map((c) => String(row[c]))));
}

/** The account/org/project a create goes to: the options, else the saved profile's. */
function scopeOf(
  values: Values,
  profile: ReturnType<typeof readProfile>,
  what: string,
): { accountId: string; orgId: string; projectId: string } {
  const accountId = values.account ?? profile.accountId;
  const orgId = values.org ?? profile.orgId;
  const projectId = values.project ?? profile.projectId;
  if (accountId === undefined || orgId === undefined || projectId === undefined) {
    throw new UsageError(`${what} needs --account, --org and --project (or set them with \`loadmgr login\`)`);
  }
  return { accountId, orgId, projectId };
}

/**
 * The project named by --dir, or by -f/--file (repeatable: the one named locustfile.py, else the
 * first, is the locustfile; the others go beside it), checked before anything is sent.
 */
function projectOf(values: Values): Project {
  const given = values.file ?? [];
  const main = given.find((f) => basename(f) === LOCUSTFILE_PATH) ?? given[0];
  return readProject({
    file: main,
    dir: values.dir,
    files: given.filter((f) => f !== main),
    split: values.split,
  });
}

/** --threshold values in the CLI's form (`p95<300`, `p95<300 abort window=10s delay=10s`). */
function thresholdsOf(values: Values): ThresholdItem[] | undefined {
  try {
    return values.threshold?.map(parseThresholdItem);
  } catch (error) {
    if (error instanceof ThresholdError) throw new UsageError(`--threshold: ${error.message}`);
    throw error;
  }
}

/** `--region eu=60`: the agents labelled region=eu run 60 % of the workers. */
function parseRegion(raw: string): RegionShare {
  const match = /^([^=]+)=(\d+)%?$/.exec(raw.trim());
  if (match === null) throw new UsageError(`--region takes NAME=SHARE (a percent), e.g. eu=60, not "${raw}"`);
  return { name: match[1] ?? "", share: Number(match[2]) };
}

/** A run's overrides from the options (for `run`, and for the runs a schedule starts). */
function runOverrides(values: Values): ScheduleOverrides {
  const params = parseParams(values.param);
  return {
    ...(values.users !== undefined ? { targetUsers: number(values, "users") } : {}),
    ...(values.workers !== undefined ? { workers: number(values, "workers") } : {}),
    ...(values["min-workers"] !== undefined ? { minWorkers: number(values, "min-workers") } : {}),
    ...(values.region !== undefined ? { regions: values.region.map(parseRegion) } : {}),
    ...(values["spawn-rate"] !== undefined ? { spawnRate: number(values, "spawn-rate") } : {}),
    ...(values.duration !== undefined ? { durationSeconds: number(values, "duration") } : {}),
    ...(values.stage !== undefined ? { stages: values.stage.map(parseStage) } : {}),
    ...(values.target !== undefined ? { targetUrl: values.target } : {}),
    ...(values.env !== undefined ? { envId: values.env } : {}),
    ...(values.tag !== undefined ? { tags: values.tag } : {}),
    ...(params !== undefined ? { env: params } : {}),
  };
}

/** What started a run from here: a CI pipeline (CI=true, as GitHub Actions and GitLab CI set) or a person. */
const triggerOf = (io: Io): "ci" | "cli" => (io.env.CI === "true" || io.env.CI === "1" ? "ci" : "cli");

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  return Buffer.concat(chunks).toString("utf-8");
}

function delta(change: Change): string {
  if (change.before === null || change.after === null) return change.after === null ? "gone" : "new";
  const diff = change.after - change.before;
  const percent = change.before !== 0 ? ` (${diff >= 0 ? "+" : ""}${((100 * diff) / change.before).toFixed(0)} %)` : "";
  return `${change.before.toFixed(1)} → ${change.after.toFixed(1)}${percent}`;
}

/** Asks on the terminal; a second Ctrl-C or Ctrl-D counts as no. */
async function confirm(question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  const abort = new AbortController();
  rl.once("SIGINT", () => abort.abort());
  rl.once("close", () => abort.abort());
  try {
    return /^y/i.test(await rl.question(question, { signal: abort.signal }));
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/**
 * Follows a run until it ends: one line per snapshot, or on a terminal a progress bar over the
 * duration with a line of figures, redrawn every second. There Ctrl-C asks whether to stop the run;
 * "no" leaves it running and stops watching ("detached").
 */
async function follow(
  client: LoadManagerClient,
  runId: string,
  durationSeconds: number,
  io: Io,
): Promise<"ended" | "detached"> {
  let firstData: number | undefined;
  let figures = "waiting for Locust to start…";
  let asking = false;
  const draw = (): void => {
    if (asking) return;
    const done = firstData === undefined ? 0 : Math.min(1, (Date.now() - firstData) / 1000 / durationSeconds);
    const bar = "#".repeat(Math.round(done * 24)).padEnd(24, ".");
    process.stdout.write(`\r\x1b[2K[${bar}] ${String(Math.round(done * 100)).padStart(3)}%  ${figures}`);
  };
  return new Promise((resolve, reject) => {
    const timer = io.isTTY ? setInterval(draw, 1000) : undefined;
    let settled = false;
    const settle = (how: "ended" | "detached"): void => {
      if (settled) return;
      settled = true;
      clearInterval(timer);
      process.off("SIGINT", onInterrupt);
      if (io.isTTY) process.stdout.write("\n");
      resolve(how);
    };
    const subscription = client.runs.onMetrics.subscribe(
      { runId, lastEventId: "0" },
      {
        onData: ({ data }) => {
          firstData ??= Date.now() - data.intervalMs;
          const errorRate = errorRatePercent(data.totalRequests, data.totalFailures);
          figures = `users ${data.users}  rps ${data.requestsPerSec.toFixed(1)}  errors ${errorRate.toFixed(2)}%  p95 ${data.p95ResponseMs === null ? "–" : `${data.p95ResponseMs} ms`}  requests ${data.totalRequests}`;
          if (io.isTTY) draw();
          else io.out(`seq ${data.seq}  ${figures}`);
        },
        onError: (error) => {
          clearInterval(timer);
          reject(error);
        },
        onComplete: () => settle("ended"),
      },
    );
    const onInterrupt = (): void => {
      if (asking) return;
      asking = true;
      confirm("\nStop the run? [y/N] ")
        .then(async (stop) => {
          asking = false;
          if (!stop) {
            settle("detached"); // first: unsubscribing completes the subscription
            subscription.unsubscribe();
            return;
          }
          figures = "stopping…";
          draw();
          await client.runs.stop.mutate({ id: runId });
        })
        .catch((error: unknown) => {
          clearInterval(timer);
          subscription.unsubscribe();
          reject(error instanceof Error ? error : new Error(String(error)));
        });
    };
    if (io.isTTY) process.on("SIGINT", onInterrupt);
  });
}

async function runCommand(client: LoadManagerClient, testId: string, values: Values, io: Io): Promise<number> {
  // Without --threshold the run is judged against the test's own thresholds.
  if (values.summary !== undefined && values.summary !== "markdown")
    throw new UsageError(`--summary takes markdown, not "${values.summary}"`);
  if (values["summary-file"] !== undefined && values.summary === undefined)
    throw new UsageError("--summary-file goes with --summary markdown");
  const thresholds = thresholdsOf(values);
  const created = await client.runs.create.mutate({
    id: testId,
    trigger: triggerOf(io),
    ...(thresholds !== undefined ? { thresholds } : {}),
    ...(values.name !== undefined ? { name: values.name } : {}),
    ...runOverrides(values),
  });
  if (created.shapeNote !== null && !values.json) io.err(`note: ${created.shapeNote}`);
  const waiting =
    values.wait ||
    values.watch ||
    values["compare-baseline"] ||
    values.summary !== undefined ||
    created.thresholds.length > 0;
  if (!waiting) {
    io.out(values.json ? JSON.stringify(created) : created.id);
    return EXIT.ok;
  }
  if (!values.json) io.out(`run ${created.id} started (${created.durationSeconds} s)`);
  const how = await follow(client, created.id, created.durationSeconds, { ...io, isTTY: io.isTTY && values.watch });
  if (how === "detached") {
    io.out(
      `run ${created.id} goes on; see it with \`loadmgr runs show ${created.id}\` or stop it with \`loadmgr runs stop ${created.id}\``,
    );
    return EXIT.ok;
  }
  // The server judged the thresholds when the run ended, and stored the verdict on it.
  const [run, requests] = await Promise.all([
    client.runs.get.query({ id: created.id }),
    client.analytics.requests.query({ id: created.id }),
  ]);
  if (values.json) {
    io.out(JSON.stringify({ run, requests }));
  } else {
    io.out(`run ${run.id} ${run.status}${run.failureReason !== null ? `: ${run.failureReason}` : ""}`);
    io.out(`outcome: ${run.outcome ?? "none"}`);
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
    if (requests.regions.length > 0) {
      io.out("by region:");
      table(
        requests.regions.map((r) => ({
          region: r.region,
          share: `${r.share} %`,
          workers: r.workers,
          users: r.maxUsers,
          requests: r.total.numRequests,
          failures: r.total.numFailures,
          rps: r.total.requestsPerSec.toFixed(1),
          p50: r.total.p50ResponseMs,
          p95: r.total.p95ResponseMs,
          p99: r.total.p99ResponseMs,
        })),
        io,
      );
    }
    for (const check of run.verdict?.checks ?? []) {
      const measured = check.measured === null ? "nothing" : check.measured.toFixed(2);
      io.out(`${check.passed ? "✓" : "✗"} ${check.threshold}  (measured ${measured})`);
    }
    await printBaseline(client, run, values["compare-baseline"], io);
  }
  if (values.summary !== undefined) await writeSummary(client, run, requests, values, io);
  // A threshold that aborted the run is a breach (99), though the run ended Failed.
  if (run.verdict?.aborted === true) return EXIT.thresholdsBreached;
  if (run.status === "Failed") return EXIT.runFailed;
  if (run.outcome === "no-success" && !values["allow-no-success"]) return EXIT.noSuccess;
  if (values["compare-baseline"] && (run.verdict?.regressions.length ?? 0) > 0) return EXIT.thresholdsBreached;
  return run.verdict === null || run.verdict.passed ? EXIT.ok : EXIT.thresholdsBreached;
}

/** The run's Markdown summary (--summary markdown): printed, or appended to --summary-file. */
async function writeSummary(
  client: LoadManagerClient,
  run: LoadTestRun,
  requests: RequestStats,
  values: Values,
  io: Io,
): Promise<void> {
  const test = await client.loadTests.get.query({ id: run.loadTestId });
  const markdown = markdownSummary({ run, testName: test.name, requests });
  const file = values["summary-file"];
  if (file === undefined) io.out(markdown);
  else appendFileSync(file, `${markdown}\n`);
}

/** The run's comparison with its env's baseline, as the server made it when the run ended. */
async function printBaseline(client: LoadManagerClient, run: LoadTestRun, asked: boolean, io: Io): Promise<void> {
  const verdict = run.verdict;
  if (verdict?.baselineRunId == null) {
    if (asked) io.out(`no baseline to compare with: set one with \`loadmgr runs baseline <runId>\``);
    return;
  }
  const baseline = await client.runs.get.query({ id: verdict.baselineRunId }).catch(() => null);
  const differences = baseline !== null ? runDifferences(baseline, run) : [];
  if (differences.length > 0) io.out(`⚠ not set up alike as the baseline: ${differences.join("; ")}`);
  if (verdict.regressions.length === 0) {
    io.out(`✓ no regression against baseline ${verdict.baselineRunId}`);
    return;
  }
  io.out(`✗ ${verdict.regressions.length} regression(s) against baseline ${verdict.baselineRunId}:`);
  table(
    verdict.regressions.map((r) => ({
      endpoint: r.endpoint,
      metric: r.metric,
      baseline: r.baseline.toFixed(1),
      measured: r.measured.toFixed(1),
      change: r.metric === "error_rate" ? `+${r.change} points` : `+${r.change} %`,
    })),
    io,
  );
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
      const connection = { url: values.url ?? io.env.LOADMGR_URL ?? DEFAULT_URL, token };
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
      const project = projectOf(values);
      const { accountId, orgId, projectId } = scopeOf(values, profile, "tests create");
      if (values.name === undefined || values.target === undefined)
        throw new UsageError("tests create needs --name and --target");
      const params = parseParams(values.param);
      const test = await client.loadTests.create.mutate({
        name: values.name,
        accountId,
        orgId,
        projectId,
        targetUrl: values.target,
        ...project,
        tags: values.tag ?? [],
        ...(values.secret !== undefined ? { secrets: values.secret } : {}),
        ...(params !== undefined ? { env: params } : {}),
        ...(values.stage !== undefined ? { defaultStages: values.stage.map(parseStage) } : {}),
        thresholds: thresholdsOf(values) ?? [],
        ...(values["fail-on-regression"] ? { failOnRegression: true } : {}),
        ...(values.env !== undefined ? { envId: values.env } : {}),
        ...(values["allow-host"] !== undefined ? { allowedHosts: values["allow-host"] } : {}),
        ...(values.pool !== undefined ? { agentPool: values.pool } : {}),
        ...(values.workers !== undefined ? { defaultWorkers: number(values, "workers") } : {}),
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
    if (command === "tests" && sub === "delete" && id !== undefined) {
      const deleted = await client.loadTests.delete.mutate({ id });
      print(deleted, () => io.out(`deleted ${id}`));
      return EXIT.ok;
    }
    if (command === "tests" && sub === "edit-script" && id !== undefined) {
      const project = projectOf(values);
      // Only -f: the new locustfile, the revision's other files kept. With --dir or --file: exactly those files.
      const sendsFiles = values.dir !== undefined || (values.file?.length ?? 0) > 1;
      const revision = await client.scripts.update.mutate({
        id,
        scriptContent: project.scriptContent,
        ...(sendsFiles ? { files: project.files } : {}),
        ...(values.message !== undefined ? { description: values.message } : {}),
      });
      print(revision, () => io.out(`revision ${revision.revisionNumber} (${revision.id})`));
      return EXIT.ok;
    }
    if (command === "tests" && sub === "revisions" && id !== undefined) {
      const page = await client.scripts.revisions.query({ id, limit: 200 });
      print(page, () =>
        table(
          page.items.map((r) => ({
            revision: r.revisionNumber,
            id: r.id,
            created: new Date(r.createdAt).toISOString(),
            by: r.createdBy,
            description: r.description,
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "tests" && sub === "diff" && id !== undefined) {
      const [, , , revA, revB] = positionals;
      if (revA === undefined || revB === undefined) throw new UsageError("tests diff needs <id> <revA> <revB>");
      const { items } = await client.scripts.revisions.query({ id, limit: 200 });
      const find = (ref: string) => {
        const found = items.find((r) => r.id === ref || String(r.revisionNumber) === ref);
        if (found === undefined)
          throw new UsageError(`test ${id} has no revision ${ref} (see \`loadmgr tests revisions ${id}\`)`);
        return found;
      };
      const [a, b] = [find(revA), find(revB)];
      const text = (content: string) => Buffer.from(content, "base64").toString("utf8");
      const labels = (path: string): [string, string] => [
        `revision ${a.revisionNumber}/${path}`,
        `revision ${b.revisionNumber}/${path}`,
      ];
      let diff = unifiedDiff(text(a.scriptContent), text(b.scriptContent), labels(LOCUSTFILE_PATH));
      // Every other file too: added, removed or changed, with its lines where it is text.
      const files = fileChanges(a.files, b.files).filter((f) => f.change !== "unchanged");
      const content = async (revisionId: string, path: string, has: boolean): Promise<string> =>
        has ? (await client.scripts.file.query({ id, revisionId, path })).contentBase64 : "";
      for (const { path, change } of files) {
        const [before, after] = await Promise.all([
          content(a.id, path, change !== "added"),
          content(b.id, path, change !== "removed"),
        ]);
        const [left, right] = [Buffer.from(before, "base64"), Buffer.from(after, "base64")];
        diff +=
          left.includes(0) || right.includes(0)
            ? `Binary file ${path} ${change}\n`
            : unifiedDiff(left.toString("utf8"), right.toString("utf8"), labels(path));
      }
      print({ from: a.revisionNumber, to: b.revisionNumber, files, diff }, () => {
        for (const f of files) io.out(`${f.change.padEnd(8)} ${f.path}`);
        process.stdout.write(diff);
      });
      return EXIT.ok;
    }
    if (command === "run" && sub !== undefined) return await runCommand(client, sub, values, io);
    if (command === "secrets" && sub === "set" && id !== undefined) {
      const scope = scopeOf(values, profile, "secrets set");
      // From stdin unless --value: a value on the command line shows in the process list and shell history.
      const value = values.value ?? (await readAll(process.stdin)).replace(/\r?\n$/, "");
      const secret = await client.secrets.put.mutate({
        name: id,
        value,
        ...scope,
        ...(values.env !== undefined ? { envId: values.env } : {}),
      });
      print(secret, () => io.out(`${secret.created ? "set" : "replaced"} secret ${secret.name}`));
      return EXIT.ok;
    }
    if (command === "secrets" && sub === "list") {
      const scope = scopeOf(values, profile, "secrets list");
      const { items } = await client.secrets.list.query({
        ...scope,
        ...(values.env !== undefined ? { envId: values.env } : {}),
      });
      print({ items }, () =>
        table(
          items.map((s) => ({
            name: s.name,
            env: s.envId ?? "(project)",
            updated: new Date(s.updatedAt).toISOString(),
            by: s.updatedBy,
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "secrets" && sub === "delete" && id !== undefined) {
      const scope = scopeOf(values, profile, "secrets delete");
      const deleted = await client.secrets.delete.mutate({
        name: id,
        ...scope,
        ...(values.env !== undefined ? { envId: values.env } : {}),
      });
      print(deleted, () => io.out(`deleted secret ${id}`));
      return EXIT.ok;
    }
    if (command === "runs" && sub === "compare" && id !== undefined) {
      const other = positionals[3];
      if (other === undefined) throw new UsageError("runs compare needs <runA> <runB>");
      const [a, b] = await Promise.all([
        client.analytics.requests.query({ id }),
        client.analytics.requests.query({ id: other }),
      ]);
      const rows = compareRuns(a, b);
      print(rows, () =>
        table(
          rows.map((row) => ({
            endpoint: row.endpoint,
            rps: delta(row.rps),
            "error %": delta(row.errorRate),
            p50: delta(row.p50),
            p95: delta(row.p95),
            p99: delta(row.p99),
            "": row.regression ? "▲ regression" : "",
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "runs" && sub === "baseline" && id !== undefined) {
      const run = values.clear
        ? await client.runs.clearBaseline.mutate({ id })
        : await client.runs.setBaseline.mutate({ id });
      const env = run.envId === null ? "" : ` in env ${run.envId}`;
      print(run, () =>
        io.out(
          values.clear
            ? `run ${run.id} is no longer the baseline of test ${run.loadTestId}${env}`
            : `run ${run.id} is now the baseline of test ${run.loadTestId}${env}: later runs there are compared with it`,
        ),
      );
      return EXIT.ok;
    }
    /** A run's raw download (its report, one of its files), or undefined once the server's refusal is said. */
    const download = async (path: string): Promise<Response | undefined> => {
      const res = await fetch(`${connection.url.replace(/\/+$/, "")}/v1/runs/${encodeURIComponent(id ?? "")}/${path}`, {
        headers: { authorization: `Bearer ${connection.token}` },
      });
      if (res.ok) return res;
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      io.err(`loadmgr: ${body.message ?? `the server answered ${res.status}`}`);
      return undefined;
    };
    if (command === "runs" && sub === "files" && id !== undefined) {
      const { items } = await client.runs.files.query({ id });
      if (values.dir === undefined) {
        print(items, () =>
          table(
            items.map((f) => ({
              name: f.name,
              bytes: f.bytes,
              truncated: f.truncated ? "yes" : "",
              collected: new Date(f.collectedAt).toISOString(),
            })),
            io,
          ),
        );
        return EXIT.ok;
      }
      mkdirSync(values.dir, { recursive: true });
      for (const file of items) {
        const res = await download(`files/${file.name}`);
        if (res === undefined) return EXIT.usage;
        writeFileSync(join(values.dir, file.name), Buffer.from(await res.arrayBuffer()));
      }
      io.out(`wrote ${items.length} file${items.length === 1 ? "" : "s"} of run ${id} to ${values.dir}`);
      return EXIT.ok;
    }
    if (command === "runs" && sub === "report" && id !== undefined) {
      const res = await download("report.html");
      if (res === undefined) return EXIT.usage;
      const html = await res.text();
      if (values.output === undefined) process.stdout.write(html);
      else {
        writeFileSync(values.output, html);
        io.out(`wrote the report of run ${id} to ${values.output}`);
      }
      return EXIT.ok;
    }
    if (command === "runs" && sub === "export" && id !== undefined) {
      const format = values.format ?? "csv";
      if (format !== "csv" && format !== "json") throw new UsageError(`--format must be csv or json, not "${format}"`);
      if (format === "json") {
        const [requests, timeseries] = await Promise.all([
          client.analytics.requests.query({ id }),
          wholeTimeseries(client, { id }),
        ]);
        io.out(JSON.stringify({ requests, timeseries }));
      } else {
        await client.runs.get.query({ id }); // a clear error for an unknown run before the CSV request
        const res = await fetch(
          `${connection.url.replace(/\/+$/, "")}/v1/runs/${encodeURIComponent(id)}/requests.csv`,
          {
            headers: { authorization: `Bearer ${connection.token}` },
          },
        );
        process.stdout.write(await res.text());
      }
      return EXIT.ok;
    }
    if (command === "runs" && sub === "list") {
      const page = await client.runs.list.query({
        ...(values.test !== undefined ? { loadTestId: values.test } : {}),
        ...(values.status !== undefined ? { status: runStatusOption(values.status) } : {}),
        ...(values.outcome !== undefined ? { outcome: outcomeOption(values.outcome) } : {}),
        ...(values.env !== undefined ? { envId: values.env } : {}),
        ...(values.tag?.[0] !== undefined ? { tag: values.tag[0] } : {}),
      });
      print(page, () =>
        table(
          page.items.map((r) => ({
            id: r.id,
            name: r.name,
            test: r.loadTestId,
            status: r.status,
            users: r.targetUsers,
            p95: r.results !== null ? `${r.results.p95ResponseMs.toFixed(0)} ms` : "",
            errors: r.results !== null ? `${r.results.errorRatePercent.toFixed(1)} %` : "",
            outcome: r.outcome ?? "",
            created: new Date(r.createdAt).toISOString(),
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "runs" && sub === "load" && id !== undefined) {
      if (values.users === undefined)
        throw new UsageError("runs load needs --users N (and --spawn-rate R, if not the run's)");
      const run = await client.runs.setLoad.mutate({
        id,
        targetUsers: number(values, "users") ?? 0,
        ...(values["spawn-rate"] !== undefined ? { spawnRate: number(values, "spawn-rate") } : {}),
      });
      const change = run.loadChanges.at(-1);
      print(run, () =>
        io.out(`run ${run.id}: ${change?.targetUsers ?? "?"} users at ${change?.spawnRate ?? "?"}/s from now`),
      );
      return EXIT.ok;
    }
    if (command === "runs" && (sub === "show" || sub === "stop") && id !== undefined) {
      const run = sub === "show" ? await client.runs.get.query({ id }) : await client.runs.stop.mutate({ id });
      const waiting = waitingFor(run);
      print(run, () => io.out(`${run.id} ${run.status}${waiting !== null ? ` (${waiting})` : ""}`));
      return EXIT.ok;
    }
    if (command === "schedules" && sub === "create" && id !== undefined) {
      if (values.cron === undefined) throw new UsageError('schedules create needs --cron, e.g. --cron "0 2 * * *"');
      const thresholds = thresholdsOf(values);
      const schedule = await client.schedules.create.mutate({
        id,
        cron: values.cron,
        ...(values.tz !== undefined ? { timezone: values.tz } : {}),
        ...(thresholds !== undefined ? { thresholds } : {}),
        overrides: runOverrides(values),
      });
      print(schedule, () =>
        io.out(
          `schedule ${schedule.id} created: ${schedule.cron} (${schedule.timezone}); next run ${
            schedule.nextRunAt !== null ? new Date(schedule.nextRunAt).toISOString() : "—"
          }`,
        ),
      );
      return EXIT.ok;
    }
    if (command === "schedules" && sub === "list" && id !== undefined) {
      const { items } = await client.schedules.list.query({ id });
      print(items, () =>
        table(
          items.map((s) => ({
            id: s.id,
            cron: s.cron,
            timezone: s.timezone,
            enabled: s.enabled ? "yes" : "no",
            next: s.nextRunAt !== null ? new Date(s.nextRunAt).toISOString() : "",
            last:
              s.ticks[0] === undefined
                ? ""
                : `${s.ticks[0].outcome}${s.ticks[0].reason !== null ? `: ${s.ticks[0].reason}` : ""}`,
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (
      (command === "schedules" || command === "webhooks") &&
      (sub === "enable" || sub === "disable" || sub === "delete") &&
      id !== undefined
    ) {
      const kind = command === "schedules" ? "schedule" : "webhook";
      if (sub === "delete") {
        const deleted =
          command === "schedules"
            ? await client.schedules.delete.mutate({ id })
            : await client.webhooks.delete.mutate({ id });
        print(deleted, () => io.out(`deleted ${kind} ${id}`));
        return EXIT.ok;
      }
      const enabled = sub === "enable";
      const changed =
        command === "schedules"
          ? await client.schedules.update.mutate({ id, enabled })
          : await client.webhooks.update.mutate({ id, enabled });
      print(changed, () => io.out(`${kind} ${changed.id} ${changed.enabled ? "enabled" : "disabled"}`));
      return EXIT.ok;
    }
    if (command === "webhooks" && sub === "create") {
      if (values.to === undefined || values.event === undefined)
        throw new UsageError("webhooks create needs --to URL and at least one --event");
      if ((values.secret?.length ?? 0) > 1) throw new UsageError("webhooks create takes one --secret");
      const format = values.format ?? "json";
      if (format !== "json" && format !== "slack")
        throw new UsageError(`--format must be json or slack, not "${format}"`);
      const hook = await client.webhooks.create.mutate({
        ...scopeOf(values, profile, "webhooks create"),
        url: values.to,
        events: values.event as WebhookEvent[],
        format,
        ...(values.secret?.[0] !== undefined ? { secret: values.secret[0] } : {}),
        ...(values.env !== undefined ? { envId: values.env } : {}),
      });
      print(hook, () => {
        io.out(`webhook ${hook.id} created: ${hook.events.join(", ")} → ${hook.url}`);
        if (hook.secret !== null) {
          io.out("Its signing secret, shown this once (check X-LoadManager-Signature with it):");
          io.out(hook.secret);
        }
      });
      return EXIT.ok;
    }
    if (command === "webhooks" && sub === "list") {
      const { items } = await client.webhooks.list.query({});
      print(items, () =>
        table(
          items.map((h) => ({
            id: h.id,
            url: h.url,
            events: h.events.join(","),
            format: h.format,
            scope: [h.accountId, h.orgId, h.projectId, h.envId ?? "*"].join("/"),
            enabled: h.enabled ? "yes" : "no",
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "webhooks" && sub === "deliveries" && id !== undefined) {
      const { items } = await client.webhooks.deliveries.query({ id });
      print(items, () =>
        table(
          items.map((d) => ({
            at: new Date(d.at).toISOString(),
            event: d.event,
            run: d.runId,
            attempt: d.attempt,
            status: d.statusCode ?? "",
            result: d.error ?? "delivered",
            next: d.nextAttemptAt !== null ? new Date(d.nextAttemptAt).toISOString() : "",
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    if (command === "pools" && sub === "create") {
      if (values.name === undefined) throw new UsageError("pools create needs --name");
      const pool = await client.agentPools.create.mutate({
        name: values.name,
        ...scopeOf(values, profile, "pools create"),
        ...(values.env !== undefined ? { envId: values.env } : {}),
      });
      // The server's own wheel, checked by pip; a server without one built still gives the agent's command.
      const wheel = await client.agentPools.package.query().catch(() => undefined);
      print(pool, () => {
        io.out(`pool ${pool.id} (${pool.name}) created. Its enrollment token, shown this once:`);
        io.out(pool.token);
        io.out("On each generator host (Python 3.9+, bubblewrap):");
        const commands =
          wheel !== undefined
            ? agentInstallCommands(url, wheel, pool.token)
            : [`LOADMGR_AGENT_TOKEN=${pool.token} loadmgr-locust agent --server ${url}`];
        for (const line of commands) io.out(`  ${line}`);
      });
      return EXIT.ok;
    }
    if (command === "pools" && (sub === "rotate-token" || sub === "revoke-token") && id !== undefined) {
      if (sub === "revoke-token") {
        const pool = await client.agentPools.revokeToken.mutate({ id });
        print(pool, () => io.out(`pool ${pool.id}: token revoked; its agents are disconnected`));
      } else {
        const pool = await client.agentPools.rotateToken.mutate({ id });
        print(pool, () => {
          io.out(
            `pool ${pool.id}: new enrollment token (agents on the old one finish the runs they hold, then must start with this one):`,
          );
          io.out(pool.token);
        });
      }
      return EXIT.ok;
    }
    if (command === "pools" && sub === "delete" && id !== undefined) {
      const answer = await client.agentPools.delete.mutate({ id });
      print(answer, () => io.out(`pool ${id} deleted, with its agents' records`));
      return EXIT.ok;
    }
    if (command === "agents" && sub === "forget" && id !== undefined) {
      if (values.pool === undefined) throw new UsageError("agents forget needs --pool <poolId>");
      const answer = await client.agentPools.forgetAgent.mutate({ id: values.pool, agentId: id });
      print(answer, () => io.out(`agent ${id} forgotten`));
      return EXIT.ok;
    }
    if ((command === "pools" || command === "agents") && sub === "list") {
      const { items } = await client.agentPools.list.query();
      const pools = items.filter((p) => values.pool === undefined || p.id === values.pool);
      if (command === "pools") {
        print(pools, () =>
          table(
            pools.map((p) => ({
              id: p.id,
              name: p.name,
              scope: [p.accountId, p.orgId, p.projectId, p.envId ?? "*"].join("/"),
              token: p.tokenState,
              agents: `${p.agents.filter((a) => a.connected).length}/${p.agents.length} connected`,
              capacity: p.agents.filter((a) => a.connected).reduce((n, a) => n + a.capacity, 0),
            })),
            io,
          ),
        );
        return EXIT.ok;
      }
      const agents = pools.flatMap((p) => p.agents.map((a) => ({ pool: p.name, ...a })));
      print(agents, () =>
        table(
          agents.map((a) => ({
            pool: a.pool,
            name: a.name,
            state: a.connected ? "connected" : `last seen ${new Date(a.lastSeenAt).toISOString()}`,
            address: a.inbound ? a.address : `${a.address} (no inbound: relayed)`,
            capacity: a.capacity,
            busy: a.running.reduce((n, r) => n + r.processes, 0),
            labels: Object.entries(a.labels)
              .map(([k, v]) => `${k}=${v}`)
              .join(","),
            version: a.version,
            running: a.running.map((r) => `${r.runId} (${r.role}×${r.processes})`).join(" "),
          })),
          io,
        ),
      );
      return EXIT.ok;
    }
    throw new UsageError(`unknown command "${positionals.join(" ")}" (loadmgr --help)`);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`loadmgr: ${error.message}`);
      return EXIT.usage;
    }
    if (error instanceof TRPCClientError) {
      const data = apiErrorData((error as TRPCClientError<never>).data);
      if (data === undefined) {
        io.err(`loadmgr: could not reach the server at ${url} (is it running? \`npm start\`)`);
        return EXIT.unreachable;
      }
      io.err(`loadmgr: ${data.appCode}: ${error.message}${data.field !== undefined ? ` (${data.field})` : ""}`);
      return EXIT.usage;
    }
    throw error;
  }
}
