import type { RequestStats } from "./analytics.js";
import { figuresOf, type Figures } from "./figures.js";

export interface Change {
  before: number | null;
  after: number | null;
}

/** Per endpoint (and in total), B against A: requests/s, error rate and percentiles, regressions marked. */
export function compareRuns(a: RequestStats, b: RequestStats) {
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
    const worse = (metric: keyof Figures, factor: number) =>
      x !== undefined && y !== undefined && y[metric] > x[metric] * factor && y[metric] - x[metric] >= 1;
    // Slower by more than 10 % at p95 or p99, or an error rate up by a point or more.
    const regressed = {
      p95: worse("p95", 1.1),
      p99: worse("p99", 1.1),
      errorRate: x !== undefined && y !== undefined && y.error_rate - x.error_rate >= 1,
    };
    return {
      endpoint,
      rps: change("rps"),
      errorRate: change("error_rate"),
      p50: change("p50"),
      p95: change("p95"),
      p99: change("p99"),
      /** Which figures regressed: the cells to mark. */
      regressed,
      regression: regressed.p95 || regressed.p99 || regressed.errorRate,
    };
  });
}

/** What two compared runs did differently, besides their results: each a sentence, none when alike. */
export function runDifferences(
  a: { loadTestId: string; targetUsers: number; durationSeconds: number; scriptRevisionId: string },
  b: { loadTestId: string; targetUsers: number; durationSeconds: number; scriptRevisionId: string },
  targets: { a: string; b: string },
): string[] {
  const out: string[] = [];
  if (a.loadTestId !== b.loadTestId) out.push("they are runs of different tests");
  if (targets.a !== targets.b) out.push(`they target different URLs (${targets.a}, ${targets.b})`);
  if (a.targetUsers !== b.targetUsers) out.push(`they ran different users (${a.targetUsers}, ${b.targetUsers})`);
  if (a.durationSeconds !== b.durationSeconds)
    out.push(`they ran for different durations (${a.durationSeconds} s, ${b.durationSeconds} s)`);
  if (a.scriptRevisionId !== b.scriptRevisionId) out.push("they ran different script revisions");
  return out;
}
