import { readlinkSync } from "node:fs";
import { setPriority } from "node:os";
import { parentPort, workerData } from "node:worker_threads";
import type { Config } from "../config.js";
import { AppError } from "../errors.js";
import { createMetricsStore } from "../metrics/index.js";
import type { ReadReply, ReadRequest } from "./windowReader.js";
import { WINDOW_QUERIES } from "./windowQueries.js";

/** How much lower the read worker's priority is than the server's (nice, 0–19). */
const READ_WORKER_NICE = 10;

/**
 * The read worker (windowReader.ts): its own store connection, reads only (the server's thread has
 * made the schema), one window read per message, answered with plain data.
 */
const { config } = workerData as { config: Config };

// Below the server's own thread in the CPU scheduler (Linux: a thread has its own nice value), so that
// on a busy host ingest and live delivery come first and the reads take what is left.
try {
  setPriority(Number(readlinkSync("/proc/thread-self").split("/").pop()), READ_WORKER_NICE);
} catch {
  // Not Linux: the worker runs at the server's priority.
}

const store = createMetricsStore(config, { readonly: true });
// Connected at start, not on the first read (a MongoDB client otherwise connects then). If the
// database is away now, reads go ahead and the client connects when they run.
const ready = store.init().catch(() => undefined);
const port = parentPort;
if (port === null) throw new Error("readWorker.ts runs as a worker thread");

port.on("message", (request: ReadRequest) => {
  const query = WINDOW_QUERIES[request.query] as (s: typeof store, input: unknown) => Promise<unknown>;
  ready
    .then(() => query(store, request.input))
    .then(
      (result) => port.postMessage({ id: request.id, result } satisfies ReadReply),
      (error: unknown) => {
        const reply: ReadReply =
          error instanceof AppError
            ? { id: request.id, error: { appCode: error.appCode, message: error.message, field: error.field } }
            : { id: request.id, failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
        port.postMessage(reply);
      },
    );
});
