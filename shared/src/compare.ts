import type { RequestStatsRow } from "./analytics.js";
import { figuresOf, type Figures } from "./figures.js";
import type { Regression } from "./judge.js";

/** How much worse than a baseline counts as a regression; per test (its regressionRule). */
export interface RegressionRule {
  /** p95/p99 slower by more than this share, in percent… */
  latencyPercent: number;
  /** …and by at least this many ms. */
  latencyMinMs: number;
  /** The error rate up by this many percentage points or more. */
  errorRatePoints: number;
}
/** `loadmgr runs compare`'s rule: p95/p99 more than 10 % and at least 1 ms slower, errors up a point or more. */
export const DEFAULT_REGRESSION_RULE: RegressionRule = { latencyPercent: 10, latencyMinMs: 1, errorRatePoints: 1 };

export interface Change {
  before: number | null;
  after: number | null;
}

/** A run's request rows: each endpoint's and all together. */
export interface StatsRows {
  total: RequestStatsRow;
  endpoints: RequestStatsRow[];
}

/**
 * Per endpoint (and in total), B against A: requests/s, error rate and percentiles, each under its
 * threshold metric's name (figures.ts), regressions marked.
 */
export function compareRuns(a: StatsRows, b: StatsRows, rule: RegressionRule = DEFAULT_REGRESSION_RULE) {
  const key = (row: { method: string; name: string }) => `${row.method} ${row.name}`.trim();
  const before = new Map([...a.endpoints, a.total].map((row) => [key(row), figuresOf(row)]));
  const after = new Map([...b.endpoints, b.total].map((row) => [key(row), figuresOf(row)]));
  const names = [...new Set([...before.keys(), ...after.keys()])].sort((x, y) =>
    x === "Aggregated" ? 1 : y === "Aggregated" ? -1 : x.localeCompare(y),
  );
  return names.map((endpoint) => {
    const x = before.get(endpoint);
    const y = after.get(endpoint);
    const change = (metric: keyof Figures): Change => ({ before: x?.[metric] ?? null, after: y?.[metric] ?? null });
    const factor = 1 + rule.latencyPercent / 100;
    const worse = (metric: keyof Figures) =>
      x !== undefined &&
      y !== undefined &&
      y[metric] > x[metric] * factor &&
      y[metric] - x[metric] >= rule.latencyMinMs;
    // By default: slower by more than 10 % at p95 or p99, or an error rate up by a point or more.
    const regressed = {
      p95: worse("p95"),
      p99: worse("p99"),
      error_rate: x !== undefined && y !== undefined && y.error_rate - x.error_rate >= rule.errorRatePoints,
    };
    return {
      endpoint,
      rps: change("rps"),
      error_rate: change("error_rate"),
      p50: change("p50"),
      p95: change("p95"),
      p99: change("p99"),
      /** Which figures regressed: the cells to mark. */
      regressed,
      regression: regressed.p95 || regressed.p99 || regressed.error_rate,
    };
  });
}

/** What a run was set up with, from its own record (not its test's, which may have changed since). */
export interface RunSetup {
  loadTestId: string;
  targetUrl: string;
  targetUsers: number;
  spawnRate: number;
  stages: readonly { durationSec: number; users: number; spawnRate: number }[] | null;
  durationSec: number;
  /** Worker processes on a pool; null: the host's default. */
  workers: number | null;
  scriptRevisionId: string;
  env: Readonly<Record<string, string>>;
}

/**
 * What two runs did differently, besides their results, from their own records: each a sentence, none
 * when alike (the compare page and a baseline check warn with them).
 */
export function runDifferences(a: RunSetup, b: RunSetup): string[] {
  const out: string[] = [];
  if (a.loadTestId !== b.loadTestId) out.push("they are runs of different tests");
  if (a.targetUrl !== b.targetUrl) out.push(`they target different URLs (${a.targetUrl}, ${b.targetUrl})`);
  const shape = (s: RunSetup["stages"]): string =>
    s === null ? "none" : s.map((x) => `${x.durationSec}s:${x.users}:${x.spawnRate}`).join(" ");
  if (shape(a.stages) !== shape(b.stages))
    out.push(`they followed different stages (${shape(a.stages)}; ${shape(b.stages)})`);
  else if (a.stages === null) {
    if (a.targetUsers !== b.targetUsers) out.push(`they ran different users (${a.targetUsers}, ${b.targetUsers})`);
    if (a.spawnRate !== b.spawnRate)
      out.push(`they spawned users at different rates (${a.spawnRate}/s, ${b.spawnRate}/s)`);
  }
  if (a.durationSec !== b.durationSec)
    out.push(`they ran for different durations (${a.durationSec} s, ${b.durationSec} s)`);
  if (a.workers !== b.workers)
    out.push(`they ran on different workers (${a.workers ?? "the default"}, ${b.workers ?? "the default"})`);
  if (a.scriptRevisionId !== b.scriptRevisionId) out.push("they ran different script revisions");
  const names = [...new Set([...Object.keys(a.env), ...Object.keys(b.env)])].sort();
  const changed = names.filter((name) => a.env[name] !== b.env[name]);
  if (changed.length > 0) out.push(`they ran with different parameters (${changed.join(", ")})`);
  return out;
}

/** What got worse in `run` than in `baseline` by the rule: each endpoint's (and the whole run's) p95, p99 and error rate. */
export function regressionsOf(baseline: StatsRows, run: StatsRows, rule: RegressionRule): Regression[] {
  const out: Regression[] = [];
  for (const row of compareRuns(baseline, run, rule)) {
    const add = (metric: Regression["metric"], change: Change, points: boolean): void => {
      const { before, after } = change;
      if (before === null || after === null) return;
      const delta = points ? after - before : before === 0 ? 100 : (100 * (after - before)) / before;
      out.push({
        endpoint: row.endpoint,
        metric,
        baseline: before,
        measured: after,
        change: Math.round(delta * 10) / 10,
      });
    };
    if (row.regressed.p95) add("p95", row.p95, false);
    if (row.regressed.p99) add("p99", row.p99, false);
    if (row.regressed.error_rate) add("error_rate", row.error_rate, true);
  }
  return out;
}
