import { requestStatsRow, WindowStats, type LoadTestRun, type RequestStats } from "@loadmgr/shared";
import type { Context } from "../../context.js";

/** Runs a heavy read in one of the token's slots (429 when it has none left), or in the export's own. */
export function heavyRead<T>(ctx: Context, work: () => Promise<T>): Promise<T> {
  return ctx.heavySlotHeld === true ? work() : ctx.clientLimits.heavyQuery(ctx.principal?.name ?? "", work);
}

export async function revisionNumber(ctx: Context, run: LoadTestRun): Promise<number | null> {
  return (await ctx.store.tests.getRevision(run.loadTestId, run.scriptRevisionId))?.revisionNumber ?? null;
}

/** Only the endpoints (and their errors) named `name`. */
export function onlyNamed(stats: WindowStats, name: string): WindowStats {
  const record = stats.toRecord();
  return WindowStats.fromRecord({
    ...record,
    endpoints: record.endpoints.filter((e) => e.name === name),
    errors: record.errors.filter((e) => e.name === name),
  });
}

/** Each region's totals of a run split over regions (in the order the run named them). */
export function regionRows(run: LoadTestRun, whole: WindowStats): RequestStats["regions"] {
  return run.regions.map(({ name, share }) => {
    const stats = whole.regions.get(name) ?? new WindowStats();
    const workers = run.placement
      .filter((e) => e.role === "worker" && e.region === name)
      .reduce((sum, e) => sum + e.processes, 0);
    // A region's rates divide by the whole run's time, so the regions' requests/s add up to the run's.
    const total = requestStatsRow(stats.total(), whole.rateSeconds());
    return { region: name, share, workers, users: stats.users, maxUsers: stats.maxUsers, total };
  });
}
