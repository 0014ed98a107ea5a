import { appendFileSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { type LoadManagerClient } from "../../index.js";
import {
  errorRatePercent,
  markdownSummary,
  runDifferences,
  type Change,
  type LoadTestRun,
  type RequestStats,
} from "@loadmgr/shared";
import { UsageError } from "../connection.js";
import {
  EXIT,
  type Io,
  type Values,
  table,
  thresholdsOf,
  runOverrides,
  triggerOf,
  type CommandContext,
  type CommandResult,
} from "../options.js";

export function delta(change: Change): string {
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
  durationSec: number,
  io: Io,
): Promise<"ended" | "detached"> {
  let firstData: number | undefined;
  let figures = "waiting for Locust to start…";
  let asking = false;
  const draw = (): void => {
    if (asking) return;
    const done = firstData === undefined ? 0 : Math.min(1, (Date.now() - firstData) / 1000 / durationSec);
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

async function runTest(client: LoadManagerClient, testId: string, values: Values, io: Io): Promise<number> {
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
  if (!values.json) io.out(`run ${created.id} started (${created.durationSec} s)`);
  const how = await follow(client, created.id, created.durationSec, { ...io, isTTY: io.isTTY && values.watch });
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

/** `loadmgr run <testId> …`: starts a run, and with --wait or --watch follows it to its verdict. */
export async function run(cx: CommandContext): CommandResult {
  return cx.sub === undefined ? undefined : runTest(cx.client, cx.sub, cx.values, cx.io);
}
