import { Worker } from "node:worker_threads";

/**
 * The worker's first code: the server runs TypeScript through tsx, which a worker thread does not
 * inherit; it registers tsx, then loads the worker's own module.
 */
const BOOT = `
const { workerData } = require("node:worker_threads");
import(workerData.tsx).then(({ register }) => { register(); return import(workerData.entry); });
`;

/** Starts `entry` (a TypeScript module's URL) in a worker thread that does not keep the process alive. */
export function startWorkerThread(entry: URL, data: Record<string, unknown>): Worker {
  const worker = new Worker(BOOT, {
    eval: true,
    workerData: { ...data, tsx: import.meta.resolve("tsx/esm/api"), entry: entry.href },
  });
  worker.unref();
  return worker;
}
