import type { MetricSnapshot } from "@loadmgr/shared";
import { AppError } from "../errors.js";
import { pointOf, type SnapshotPoint, type SnapshotWindow } from "../metrics/snapshotRecord.js";
import type { MetricsStore } from "../metrics/metricsStore.js";

/** The most snapshots one request reads one by one: 6 hours at the default 2 s interval. */
export const MAX_WINDOW_SNAPSHOTS = 10_800;
/** Snapshots decompressed between two turns of the event loop (a few ms of work). */
const DETAIL_PAGE = 20;
/** Chart rows read between two turns of the event loop. */
const POINTS_PAGE = 250;

/** Lets the event loop serve everything else (ingest first of all) before the next page. */
const breathe = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * Refuses, before reading anything, a window that holds more snapshots than one request may read;
 * the message says how to narrow it. Whole-run figures never need this: they are pre-merged.
 */
export async function checkWindowSize(store: MetricsStore, runId: string, window: SnapshotWindow): Promise<number> {
  const size = await store.countMetricSnapshots(runId, window);
  if (size > MAX_WINDOW_SNAPSHOTS) {
    throw new AppError(
      "WINDOW_TOO_LARGE",
      `this window holds ${size} snapshots and one request reads at most ${MAX_WINDOW_SNAPSHOTS}: narrow from/to, ` +
        "or use /graph (merged points) or /metrics/aggregate without from/to (the whole run, pre-merged)",
      window.from !== undefined || window.to !== undefined ? "from" : "id",
    );
  }
  return size;
}

/** A window's whole snapshots in seq order, a page at a time, yielding to the event loop between pages. */
export async function* snapshotPages(
  store: MetricsStore,
  runId: string,
  window: SnapshotWindow,
  max = MAX_WINDOW_SNAPSHOTS,
): AsyncGenerator<MetricSnapshot[]> {
  let afterSeq = window.afterSeq;
  for (let read = 0; read < max;) {
    const page = await store.listMetricSnapshots(runId, { ...window, afterSeq }, Math.min(DETAIL_PAGE, max - read));
    if (page.length === 0) return;
    yield page;
    read += page.length;
    if (page.length < DETAIL_PAGE) return;
    afterSeq = page.at(-1)?.seq;
    await breathe();
  }
}

/**
 * A window's chart figures in seq order (over all endpoints, or only those named `name`), at most
 * `max`, a page at a time with the event loop served between pages. All endpoints come from the
 * stored chart rows; one name needs the whole snapshots.
 */
export async function* pointPages(
  store: MetricsStore,
  runId: string,
  window: SnapshotWindow,
  name: string | undefined,
  max = MAX_WINDOW_SNAPSHOTS,
): AsyncGenerator<SnapshotPoint[]> {
  if (name !== undefined) {
    for await (const page of snapshotPages(store, runId, window, max)) yield page.map((s) => pointOf(s, name));
    return;
  }
  let afterSeq = window.afterSeq;
  for (let read = 0; read < max;) {
    const page = await store.listSnapshotPoints(runId, { ...window, afterSeq }, 1, Math.min(POINTS_PAGE, max - read));
    if (page.length === 0) return;
    yield page;
    read += page.length;
    if (page.length < POINTS_PAGE) return;
    afterSeq = page.at(-1)?.seq;
    await breathe();
  }
}
