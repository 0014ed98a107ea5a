// No zod here: the dashboard imports this file as it is (it judges thresholds live).
/** k6-style pass/fail criteria on a run's results: `p95<300`, `error_rate<1%`, `rps>50`, `GET /api:p99<500`. */
import type { RequestStatsRow } from "./analytics.js";
import { figuresOf, THRESHOLD_METRICS, type ThresholdMetric } from "./figures.js";

type Operator = "<" | "<=" | ">" | ">=";

export interface Threshold {
  text: string;
  /** "METHOD name" of one endpoint, or undefined for the whole run. */
  endpoint: { method: string; name: string } | undefined;
  metric: ThresholdMetric;
  operator: Operator;
  value: number;
}

export class ThresholdError extends Error {}

const EXPRESSION =
  /^(?:(?<method>[A-Z]+)\s+(?<name>\S.*?):)?(?<metric>[a-z_0-9]+)\s*(?<operator><=|>=|<|>)\s*(?<value>\d+(?:\.\d+)?)\s*(?<unit>%|ms)?$/;

export function parseThreshold(text: string): Threshold {
  const match = EXPRESSION.exec(text.trim());
  const groups = match?.groups;
  if (groups === undefined) {
    throw new ThresholdError(
      `bad threshold "${text}": write <metric><op><value>, e.g. "p95<300", "error_rate<1%", "rps>50", "GET /api:p99<500"`,
    );
  }
  const metric = groups.metric as ThresholdMetric;
  if (!THRESHOLD_METRICS.includes(metric)) {
    throw new ThresholdError(
      `bad threshold "${text}": unknown metric "${metric}" (use ${THRESHOLD_METRICS.join(", ")})`,
    );
  }
  if (groups.unit === "%" && metric !== "error_rate") {
    throw new ThresholdError(`bad threshold "${text}": only error_rate takes a %`);
  }
  if (groups.unit === "ms" && (metric === "rps" || metric === "error_rate")) {
    throw new ThresholdError(`bad threshold "${text}": ${metric} is not a time`);
  }
  return {
    text,
    endpoint: groups.method !== undefined ? { method: groups.method, name: groups.name ?? "" } : undefined,
    metric,
    operator: groups.operator as Operator,
    value: Number(groups.value),
  };
}

export const MAX_THRESHOLDS = 50;
/** The longest window an aborting threshold may judge over (its snapshots are read on every push). */
export const MAX_ABORT_WINDOW_SEC = 600;

/** A threshold that may stop the run while it runs (k6's abortOnFail), judged on every stored snapshot. */
export interface ThresholdRule {
  threshold: string;
  abortOnFail?: boolean | undefined;
  /** Judge over the last N seconds, not the whole run so far. */
  windowSec?: number | undefined;
  /** Not judged before N seconds into the run. */
  delayAbortEvalSec?: number | undefined;
}
/** What a test or run lists: an expression, or a rule around one. */
export type ThresholdItem = string | ThresholdRule;

export const thresholdText = (item: ThresholdItem): string => (typeof item === "string" ? item : item.threshold);

/** A threshold that aborts, as the server watches it. */
export interface AbortRule {
  threshold: string;
  windowSec: number | null;
  delayAbortEvalSec: number;
}

export function abortRules(items: ThresholdItem[]): AbortRule[] {
  return items.flatMap((item) =>
    typeof item !== "string" && item.abortOnFail === true
      ? [
          {
            threshold: item.threshold,
            windowSec: item.windowSec ?? null,
            delayAbortEvalSec: item.delayAbortEvalSec ?? 0,
          },
        ]
      : [],
  );
}

const RULE_TEXT = /^(?<expression>.*?)\s+abort(?<options>(?:\s+(?:window|delay)=\d+s?)*)\s*$/;

/**
 * The CLI's and the dashboard's way to write a threshold: the expression, then optionally `abort`,
 * `window=10s` and `delay=10s`: `p95<300 abort window=10s delay=10s`. Throws ThresholdError.
 */
export function parseThresholdItem(text: string): ThresholdItem {
  const trimmed = text.trim();
  const match = RULE_TEXT.exec(trimmed);
  if (match?.groups === undefined) {
    if (/\b(abort|window=|delay=)/.test(trimmed) && !/^[A-Z]+\s/.test(trimmed)) {
      throw new ThresholdError(
        `bad threshold "${text}": write the options after "abort", e.g. "p95<300 abort window=10s delay=10s"`,
      );
    }
    parseThreshold(trimmed);
    return trimmed;
  }
  const expression = (match.groups.expression ?? "").trim();
  parseThreshold(expression);
  const rule: ThresholdRule = { threshold: expression, abortOnFail: true };
  for (const option of (match.groups.options ?? "").trim().split(/\s+/).filter(Boolean)) {
    const [name, value] = option.split("=");
    const seconds = Number((value ?? "").replace(/s$/, ""));
    if (name === "window") rule.windowSec = seconds;
    else rule.delayAbortEvalSec = seconds;
  }
  return rule;
}

/** The text parseThresholdItem reads back: `p95<300`, or `p95<300 abort window=10s delay=10s`. */
export function formatThresholdItem(item: ThresholdItem): string {
  if (typeof item === "string") return item;
  if (item.abortOnFail !== true) return item.threshold;
  const window = item.windowSec !== undefined ? ` window=${item.windowSec}s` : "";
  const delay =
    item.delayAbortEvalSec !== undefined && item.delayAbortEvalSec > 0 ? ` delay=${item.delayAbortEvalSec}s` : "";
  return `${item.threshold} abort${window}${delay}`;
}

export interface ThresholdCheck {
  threshold: string;
  /** null: the run never called that endpoint (the check fails). */
  measured: number | null;
  passed: boolean;
}

/** What stopped a run early: an aborting threshold, its value over its window when it broke. */
export interface AbortCause {
  threshold: string;
  measured: number | null;
  /** null: over the whole run so far. */
  windowSec: number | null;
  /** Seconds into the run (from its start) of the snapshot that broke it… */
  atSec: number;
  /** …and that snapshot's seq. */
  seq: number;
}

/** A figure of an endpoint (or "Aggregated") that got worse than the baseline's by more than the rule allows. */
export interface Regression {
  endpoint: string;
  metric: "p95" | "p99" | "error_rate";
  baseline: number;
  measured: number;
  /** For p95/p99 the change in percent; for error_rate in percentage points. */
  change: number;
}

export interface RunVerdict {
  /** Every threshold held, nothing aborted the run, and (with failOnRegression) nothing regressed. */
  passed: boolean;
  checkedAt: number;
  checks: ThresholdCheck[];
  /** An aborting threshold stopped the run. */
  aborted: boolean;
  abortedBy: AbortCause | null;
  /** The baseline the run was compared with when it ended; null: none. */
  baselineRunId: string | null;
  regressions: Regression[];
}

/** The sentence a run aborted by a threshold ends Failed with. */
export function abortReason(cause: AbortCause): string {
  const over = cause.windowSec === null ? "over the whole run so far" : `over the last ${cause.windowSec} s`;
  const measured = cause.measured === null ? "no requests" : `measured ${round2(cause.measured)}`;
  return `aborted: threshold "${cause.threshold}" breached ${over} (${measured}, ${cause.atSec} s into the run)`;
}

const round2 = (value: number): number => Math.round(value * 100) / 100;

/** Checks each threshold against a run's stats; one on a run or endpoint without requests fails (measured: null). */
export function judge(
  thresholds: ThresholdItem[],
  stats: { total: RequestStatsRow; endpoints: RequestStatsRow[] },
  checkedAt: number,
): RunVerdict {
  // Nothing measured is no pass: a threshold on a run or endpoint without requests fails.
  const measured = (row: RequestStatsRow) => (row.numRequests > 0 ? figuresOf(row) : undefined);
  const endpoints = new Map(stats.endpoints.map((row) => [`${row.method} ${row.name}`, measured(row)]));
  const total = measured(stats.total);
  const checks = thresholds
    .map((item) => parseThreshold(thresholdText(item)))
    .map((threshold): ThresholdCheck => {
      const figures =
        threshold.endpoint === undefined
          ? total
          : endpoints.get(`${threshold.endpoint.method} ${threshold.endpoint.name}`);
      if (figures === undefined) return { threshold: threshold.text, measured: null, passed: false };
      const measured = figures[threshold.metric];
      const passed =
        threshold.operator === "<"
          ? measured < threshold.value
          : threshold.operator === "<="
            ? measured <= threshold.value
            : threshold.operator === ">"
              ? measured > threshold.value
              : measured >= threshold.value;
      return { threshold: threshold.text, measured, passed };
    });
  return {
    passed: checks.every((c) => c.passed),
    checkedAt,
    checks,
    aborted: false,
    abortedBy: null,
    baselineRunId: null,
    regressions: [],
  };
}

/** How a threshold stands while a run goes: within 10 % of its limit is at risk. */
export type ThresholdState = "held" | "at risk" | "breached" | "no data";

/** Each threshold judged against the run's figures so far, with how close it is to its limit. */
export function thresholdStates(
  thresholds: ThresholdItem[],
  stats: { total: RequestStatsRow; endpoints: RequestStatsRow[] },
): { threshold: string; measured: number | null; state: ThresholdState }[] {
  const { checks } = judge(thresholds, stats, 0);
  return checks.map((check) => {
    const { operator, value } = parseThreshold(check.threshold);
    const { measured } = check;
    if (measured === null) return { threshold: check.threshold, measured, state: "no data" };
    if (!check.passed) return { threshold: check.threshold, measured, state: "breached" };
    const close = operator === "<" || operator === "<=" ? measured >= 0.9 * value : measured <= 1.1 * value;
    return { threshold: check.threshold, measured, state: close ? "at risk" : "held" };
  });
}
