import { WindowStats } from "@loadmgr/shared";
import type { Store } from "../store/store.js";

/** The run's stats over every stored snapshot (empty before the first one). */
export async function runStats(store: Store, runId: string): Promise<WindowStats> {
  const record = await store.getRunStats(runId);
  return record === undefined ? new WindowStats() : WindowStats.fromRecord(record);
}
