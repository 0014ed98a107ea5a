// Locust's own rules, restated independently of the server's histogram code, for tests and benchmarks
// to check the server against.

/** Locust's response-time buckets: whole ms below 100, then tens, hundreds, thousands. */
export function locustBucket(ms: number): number {
  if (ms < 100) return Math.round(ms);
  if (ms < 1000) return Math.round(ms / 10) * 10;
  if (ms < 10_000) return Math.round(ms / 100) * 100;
  return Math.round(ms / 1000) * 1000;
}

/** Locust's percentile on raw bucketed values: the value at index floor(n · p) of the sorted values (0 for none). */
export function referencePercentile(values: number[], percent: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(Math.trunc(sorted.length * percent), sorted.length - 1)] ?? 0;
}
