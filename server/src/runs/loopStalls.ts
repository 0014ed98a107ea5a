import { performance } from "node:perf_hooks";

/** Stalls shorter than this are ordinary scheduling noise. */
const STALL_MS = 200;
const TICK_MS = 100;
/** Longer than any silence window. */
const KEEP_MS = 3_600_000;

/**
 * When this process's event loop stood still, so that the silence rule never blames a run for the
 * server's own stall: while the loop is blocked, pushes queue unread however healthy the run is.
 */
export class LoopStalls {
  private readonly stalls: { at: number; ms: number }[] = [];
  private last = performance.now();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly now: () => number = Date.now) {}

  start(): void {
    this.last = performance.now();
    this.timer = setInterval(() => this.sample(), TICK_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /**
   * Milliseconds the loop stood still after `since` (unix ms), counting a stall that has only just
   * ended, and the part after `since` of one that began before it (a push read first after a stall
   * can be newer than the stall's start; the pushes queued behind it are not read yet).
   */
  stalledSince(since: number): number {
    this.sample();
    let total = 0;
    for (const stall of this.stalls) total += Math.max(0, stall.at - Math.max(stall.at - stall.ms, since));
    return total;
  }

  private sample(): void {
    const now = performance.now();
    const late = now - this.last - TICK_MS;
    this.last = now;
    if (late < STALL_MS) return;
    const at = this.now();
    this.stalls.push({ at, ms: late });
    while ((this.stalls[0]?.at ?? at) < at - KEEP_MS) this.stalls.shift();
  }
}
