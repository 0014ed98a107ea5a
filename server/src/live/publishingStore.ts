import type { Logger } from "../logger.js";
import type { Store } from "../store/store.js";
import { runMetricsChannel, runStatusChannel, type LiveBus } from "./liveBus.js";

/**
 * The store, publishing what live subscribers watch as it is written: every run created or moved
 * (whoever moved it: API, lifecycle, ingest) and every snapshot stored. A failed publish is logged,
 * never failed back to the writer: the store is the record; subscribers catch up from it.
 */
export function publishingStore(store: Store, live: LiveBus, logger: Logger): Store {
  const publish = <T>(what: string, runId: string, send: () => Promise<T>): void => {
    send().catch((error: unknown) => logger.error({ err: error, runId }, `could not publish ${what}`));
  };
  const overrides: Partial<Store> = {
    async createRun(...args: Parameters<Store["createRun"]>) {
      const created = await store.createRun(...args);
      const [run] = args;
      if (created) publish("run status", run.id, () => live.publish(runStatusChannel, run));
      return created;
    },
    async transitionRun(...args: Parameters<Store["transitionRun"]>) {
      const moved = await store.transitionRun(...args);
      if (moved !== undefined) publish("run status", moved.id, () => live.publish(runStatusChannel, moved));
      return moved;
    },
    async addMetricSnapshot(...args: Parameters<Store["addMetricSnapshot"]>) {
      const outcome = await store.addMetricSnapshot(...args);
      const [snapshot] = args;
      if (outcome === "added") {
        publish("snapshot", snapshot.runId, () => live.publish(runMetricsChannel(snapshot.runId), snapshot));
      }
      return outcome;
    },
  };
  return new Proxy(store, {
    get(target, property, receiver): unknown {
      if (typeof property === "string" && property in overrides) {
        return Reflect.get(overrides, property, receiver) as unknown;
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}
