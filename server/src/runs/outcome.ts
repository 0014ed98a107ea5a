import {
  DEFAULT_REGRESSION_RULE,
  judge,
  regressionsOf,
  runResultsOf,
  type AbortCause,
  type LoadTestRun,
  type RunResults,
  type RunVerdict,
} from "@loadmgr/shared";
import { requestRows, runStats } from "../analytics/runStats.js";
import type { MetricsStore } from "../metrics/metricsStore.js";
import type { Store } from "../store/store.js";

/** What a run stopped by an aborting threshold carries while it stops; its end's verdict keeps the cause. */
export function abortedVerdict(cause: AbortCause, now: number): RunVerdict {
  return {
    passed: false,
    checkedAt: now,
    checks: [],
    aborted: true,
    abortedBy: cause,
    baselineRunId: null,
    regressions: [],
  };
}

/**
 * What the transition that ends a run stores: the whole run's figures, and its verdict: its
 * thresholds judged against them, an aborting threshold that stopped it (from the verdict it
 * stopped with), and what regressed against its env's baseline (null with neither thresholds nor a
 * baseline). All come from everything the runs stored (the rows `/requests` shows); Locust's final
 * snapshot arrives before its stop call, so nothing is missed.
 */
export async function outcomeOf(
  deps: { metricsStore: MetricsStore; store: Store },
  run: LoadTestRun,
  now: number,
): Promise<{ results: RunResults; verdict: RunVerdict | null }> {
  const rows = requestRows(await runStats(deps.metricsStore, run.id));
  const results = runResultsOf(rows.total);
  const baseline = await deps.store.runs.findBaseline(run.loadTestId, run.envId);
  const compared = baseline !== undefined && baseline.id !== run.id ? baseline : undefined;
  if (run.thresholds.length === 0 && compared === undefined) return { results, verdict: null };
  const verdict = judge(run.thresholds, rows, now);
  if (run.verdict?.aborted === true) {
    verdict.aborted = true;
    verdict.abortedBy = run.verdict.abortedBy;
    verdict.passed = false;
  }
  if (compared !== undefined) {
    const test = await deps.store.tests.get(run.loadTestId);
    const before = requestRows(await runStats(deps.metricsStore, compared.id));
    verdict.baselineRunId = compared.id;
    verdict.regressions =
      before.total.numRequests > 0 && rows.total.numRequests > 0
        ? regressionsOf(before, rows, test?.regressionRule ?? DEFAULT_REGRESSION_RULE)
        : [];
    if (test?.failOnRegression === true && verdict.regressions.length > 0) verdict.passed = false;
  }
  return { results, verdict };
}
