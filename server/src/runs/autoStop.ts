import type { AutoStop } from "@loadmgr/shared";

/** A snapshot's running totals: what the window's error rate is taken from. */
interface Totals {
  at: number;
  requests: number;
  failures: number;
}

/** Runs not heard of for this long are forgotten (they ended, or report to another server). */
const FORGET_AFTER_MS = 10 * 60_000;

/**
 * Watches each running run's error rate over its auto-stop window (Azure Load Testing's rule:
 * more than 90 % errors over 60 s, by default), from the running totals its snapshots carry. Any
 * two snapshots a window apart give that window's rate exactly, so a server that sees only some of
 * a run's pushes (several API processes) still judges it right, only later.
 */
export class AutoStopWatch {
  private readonly runs = new Map<string, { totals: Totals[]; touched: number }>();
  private sweptAt = 0;

  /**
   * Records a snapshot's totals; answers why the run must stop when its errors over the window are
   * above the limit, else null. Needs snapshots at least a window apart, and requests within it.
   */
  observe(runId: string, rule: AutoStop | null, snapshot: Totals, now: number): string | null {
    if (rule === null) return null;
    this.forgetIdle(now);
    const entry = this.runs.get(runId) ?? { totals: [], touched: now };
    entry.touched = now;
    this.runs.set(runId, entry);
    const { totals } = entry;
    // Pushes may arrive out of order (retries): kept sorted by time.
    let i = totals.length;
    while (i > 0 && (totals[i - 1]?.at ?? 0) > snapshot.at) i--;
    totals.splice(i, 0, snapshot);
    const newest = totals.at(-1);
    if (newest === undefined) return null;
    const cutoff = newest.at - rule.windowSec * 1000;
    // The base is the newest snapshot at least a window old; anything older is no longer needed.
    let base = -1;
    for (let j = 0; j < totals.length && (totals[j]?.at ?? Infinity) <= cutoff; j++) base = j;
    if (base < 0) return null;
    totals.splice(0, base);
    const from = totals[0];
    if (from === undefined) return null;
    const requests = newest.requests - from.requests;
    const failures = newest.failures - from.failures;
    if (requests <= 0) return null;
    const percent = (100 * failures) / requests;
    if (percent <= rule.errorRatePercent) return null;
    const seconds = Math.round((newest.at - from.at) / 1000);
    return (
      `auto-stopped: ${percent.toFixed(1)} % of requests failed over the last ${seconds} s ` +
      `(the test stops a run above ${rule.errorRatePercent} % over ${rule.windowSec} s)`
    );
  }

  forget(runId: string): void {
    this.runs.delete(runId);
  }

  /** How many runs it watches (for tests: ended runs are forgotten). */
  get size(): number {
    return this.runs.size;
  }

  private forgetIdle(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [runId, entry] of this.runs) if (now - entry.touched > FORGET_AFTER_MS) this.runs.delete(runId);
  }
}
