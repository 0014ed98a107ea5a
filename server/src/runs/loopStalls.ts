import { closeSync, openSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** Stalls shorter than this are ordinary scheduling noise. */
const STALL_MS = 200;
const TICK_MS = 100;
/** Longer than any silence window. */
const KEEP_MS = 3_600_000;

/**
 * When this process could not hear anyone, so that the silence rules never blame a run or an agent
 * for the server's own trouble: while its event loop is blocked, pushes queue unread however healthy
 * the run is; while it has no file handle left (EMFILE, ENFILE), it accepts no connection at all.
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
    const since = now - this.last;
    this.last = now;
    if (late >= STALL_MS) this.record(late);
    else if (!canOpenFiles()) this.record(since);
  }

  private record(ms: number): void {
    const at = this.now();
    this.stalls.push({ at, ms });
    while ((this.stalls[0]?.at ?? at) < at - KEEP_MS) this.stalls.shift();
  }
}

/** Whether this process can open one more file (a server out of handles accepts no connection either). */
function canOpenFiles(): boolean {
  try {
    closeSync(openSync("/dev/null", "r"));
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code !== "EMFILE" && code !== "ENFILE";
  }
}
