import { parentPort, workerData } from "node:worker_threads";
import type { MergeReply } from "./merger.js";
import { SqliteMetricsStore } from "./sqliteMetrics.js";

/** The merge worker (merger.ts): its own connection to the file, one run's merge per message. */
const { path } = workerData as { path: string };
const store = new SqliteMetricsStore(path, { merges: "inline" });
const port = parentPort;
if (port === null) throw new Error("mergeWorker.ts runs as a worker thread");

port.on("message", (runId: string) => {
  let reply: MergeReply = { runId };
  try {
    store.mergeRun(runId);
  } catch (error) {
    reply = { runId, failure: error instanceof Error ? (error.stack ?? error.message) : String(error) };
  }
  port.postMessage(reply);
});
