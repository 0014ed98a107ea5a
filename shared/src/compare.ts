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
    return {
      endpoint,
      rps: change("rps"),
      errorRate: change("error_rate"),
      p50: change("p50"),
      p95: change("p95"),
      p99: change("p99"),
      // Slower by more than 10 % at p95 or p99, or an error rate up by a point or more.
      regression:
        worse("p95", 1.1) ||
        worse("p99", 1.1) ||
        (x !== undefined && y !== undefined && y.error_rate - x.error_rate >= 1),
    };
  });
}
