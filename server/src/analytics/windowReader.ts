import type { Worker } from "node:worker_threads";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import { startWorkerThread } from "../workerThread.js";
import { WINDOW_QUERIES, type WindowQuery, type WindowQueryInput, type WindowQueryResult } from "./windowQueries.js";

/** Runs the heavy window reads (windowQueries.ts): in a worker thread, or in this one where there is no other way. */
export interface WindowReader {
  run<K extends WindowQuery>(query: K, input: WindowQueryInput<K>): Promise<WindowQueryResult<K>>;
  /** Gets ready now rather than on the first read (a worker takes about a second to load). */
  warm(): void;
  close(): Promise<void>;
}

/** What crosses between the threads. */
export interface ReadRequest {
  id: number;
  query: WindowQuery;
  input: unknown;
}
export type ReadReply =
  | { id: number; result: unknown }
  | { id: number; error: { appCode: AppError["appCode"]; message: string; field?: string | undefined } }
  | { id: number; failure: string };

/** In this thread, on the server's own store: for a store no other thread can open (in memory, or a test's own). */
export function inProcessReader(store: MetricsStore): WindowReader {
  return {
    run: (query, input) =>
      (WINDOW_QUERIES[query] as (s: MetricsStore, i: typeof input) => Promise<never>)(store, input),
    warm: () => undefined,
    close: () => Promise.resolve(),
  };
}

/**
 * In a worker thread with its own connection to the store (SQLite in WAL mode lets it read beside the
 * writer; MongoDB is a second client): decompressing snapshots, merging histograms and building
 * thousands of points happen there, and this thread only takes the finished answer. Started on the
 * first read; a worker that dies fails the reads it held and is started again on the next.
 */
export function workerReader(config: Config, logger: Logger): WindowReader {
  let worker: Worker | undefined;
  let nextId = 1;
  const pending = new Map<number, { resolve: (value: never) => void; reject: (error: Error) => void }>();

  const failAll = (error: Error): void => {
    for (const { reject } of pending.values()) reject(error);
    pending.clear();
  };

  const start = (): Worker => {
    const started = startWorkerThread(new URL("./readWorker.ts", import.meta.url), { config });
    started.on("message", (reply: ReadReply) => {
      const waiting = pending.get(reply.id);
      if (waiting === undefined) return;
      pending.delete(reply.id);
      if ("result" in reply) waiting.resolve(reply.result as never);
      else if ("error" in reply)
        waiting.reject(new AppError(reply.error.appCode, reply.error.message, reply.error.field));
      else waiting.reject(new Error(`window read failed in the read worker: ${reply.failure}`));
    });
    started.on("error", (error) => {
      logger.error({ err: error }, "the read worker failed; reads under way fail, the next starts a new one");
      if (worker === started) worker = undefined;
      failAll(new Error(`the read worker failed: ${error.message}`));
    });
    started.on("exit", (code) => {
      if (worker === started) worker = undefined;
      failAll(new Error(`the read worker exited (${code})`));
    });
    return started;
  };

  return {
    run: (query, input) =>
      new Promise((resolve, reject) => {
        worker ??= start();
        const id = nextId++;
        pending.set(id, { resolve, reject });
        worker.postMessage({ id, query, input } satisfies ReadRequest);
      }),
    warm: () => {
      worker ??= start();
    },
    close: async () => {
      const closing = worker;
      worker = undefined;
      await closing?.terminate();
    },
  };
}
