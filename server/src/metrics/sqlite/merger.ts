import type { Worker } from "node:worker_threads";
import { startWorkerThread } from "../../workerThread.js";

/** Runs the SQLite metrics store's batched merges (SqliteMetricsStore.mergeRun) somewhere other than a push. */
export interface Merger {
  /** Asks for the run's waiting snapshots to be merged; returns at once. A run asked for twice is merged once. */
  request(runId: string): void;
  /** Resolves when every merge asked for so far is done. */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** What crosses between the store's thread and the merge worker. */
export type MergeReply = { runId: string; failure?: string };

/** Merges run one at a time, each after the current I/O callbacks (so after the push that asked is answered). */
export function inlineMerger(
  merge: (runId: string) => void,
  onFailure: (runId: string, failure: string) => void,
): Merger {
  const queued = new Set<string>();
  let idle: Promise<void> = Promise.resolve();
  let resolveIdle: (() => void) | undefined;
  const drain = (): void => {
    const [runId] = queued;
    if (runId === undefined) {
      resolveIdle?.();
      resolveIdle = undefined;
      return;
    }
    queued.delete(runId);
    try {
      merge(runId);
    } catch (error) {
      // Left unmerged: reads merge it themselves, and the run's next batch tries again.
      onFailure(runId, error instanceof Error ? (error.stack ?? error.message) : String(error));
    }
    setImmediate(drain);
  };
  return {
    request: (runId) => {
      if (queued.size === 0 && resolveIdle === undefined) {
        idle = new Promise((resolve) => (resolveIdle = resolve));
        setImmediate(drain);
      }
      queued.add(runId);
    },
    settle: () => idle,
    close: () => idle,
  };
}

/**
 * Merges in a worker thread with its own connection to the file (WAL lets it read beside this
 * thread's writes); only its short write transaction can make a push on this thread wait. Started on
 * the first request; a worker that dies is started again on the next.
 */
export function workerMerger(path: string, onFailure: (runId: string, failure: string) => void): Merger {
  let worker: Worker | undefined;
  /** Runs sent to the worker; true when asked again meanwhile (what arrived after its read is merged next). */
  const waiting = new Map<string, boolean>();
  let settled: (() => void)[] = [];
  const check = (): void => {
    if (waiting.size > 0) return;
    for (const resolve of settled) resolve();
    settled = [];
  };
  const start = (): Worker => {
    const started = startWorkerThread(new URL("./mergeWorker.ts", import.meta.url), { path });
    started.on("message", (reply: MergeReply) => {
      if (reply.failure !== undefined) onFailure(reply.runId, reply.failure);
      const again = waiting.get(reply.runId) === true;
      waiting.delete(reply.runId);
      if (again) send(reply.runId);
      check();
    });
    const gone = (): void => {
      if (worker === started) worker = undefined;
      // What it held stays unmerged: reads merge it themselves, and the run's next batch asks again.
      waiting.clear();
      check();
    };
    started.on("error", gone);
    started.on("exit", gone);
    return started;
  };
  const send = (runId: string): void => {
    waiting.set(runId, false);
    worker ??= start();
    worker.postMessage(runId);
  };
  return {
    request: (runId) => {
      if (waiting.has(runId)) waiting.set(runId, true);
      else send(runId);
    },
    settle: () => (waiting.size === 0 ? Promise.resolve() : new Promise((resolve) => settled.push(resolve))),
    close: async () => {
      if (waiting.size > 0) await Promise.race([new Promise<void>((resolve) => settled.push(resolve)), sleepMs(5000)]);
      const closing = worker;
      worker = undefined;
      await closing?.terminate();
    },
  };
}

const sleepMs = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());
