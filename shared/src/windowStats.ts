import { MAX_RUN_REGIONS } from "./agents.js";
import { Histogram, type HistogramPairs } from "./histogram.js";
import type { EndpointInterval, MetricSnapshotInput } from "./ingest.js";

/** Distinct (endpoint, error text) pairs kept per window; the rest are counted together. */
export const MAX_DISTINCT_ERRORS = 1000;
export const OTHER_ERRORS = "(other errors: more distinct messages than Load Manager keeps)";
/**
 * Distinct (method, name) endpoints kept per window; the rest are counted together in one row, so a
 * script that names every request differently cannot grow its run's figures without bound (Gatling
 * caps at 2,000 groups; one row per endpoint of a Locust test is rarely above a few hundred).
 */
export const MAX_DISTINCT_ENDPOINTS = 1000;
export const OTHER_ENDPOINTS = "(other endpoints: more distinct names than Load Manager keeps)";

/** One endpoint's figures over a window: interval counts added, histograms merged. */
export class EndpointTotals {
  requests = 0;
  failures = 0;
  sumResponseMs = 0;
  minResponseMs = Number.POSITIVE_INFINITY;
  maxResponseMs = 0;
  readonly histogram = new Histogram();

  constructor(
    readonly method: string,
    readonly name: string,
  ) {}

  addInterval(interval: Omit<EndpointInterval, "method" | "name">): void {
    this.requests += interval.requests;
    this.failures += interval.failures;
    this.sumResponseMs += interval.sumResponseMs;
    if (interval.requests > 0) {
      this.minResponseMs = Math.min(this.minResponseMs, interval.minResponseMs);
      this.maxResponseMs = Math.max(this.maxResponseMs, interval.maxResponseMs);
    }
    this.histogram.addPairs(interval.histogram);
  }

  merge(other: EndpointTotals): void {
    this.requests += other.requests;
    this.failures += other.failures;
    this.sumResponseMs += other.sumResponseMs;
    this.minResponseMs = Math.min(this.minResponseMs, other.minResponseMs);
    this.maxResponseMs = Math.max(this.maxResponseMs, other.maxResponseMs);
    this.histogram.merge(other.histogram);
  }

  toRecord(): EndpointTotalsRecord {
    return {
      method: this.method,
      name: this.name,
      requests: this.requests,
      failures: this.failures,
      sumResponseMs: this.sumResponseMs,
      minResponseMs: this.requests > 0 ? this.minResponseMs : 0,
      maxResponseMs: this.maxResponseMs,
      histogram: this.histogram.toPairs(),
    };
  }

  static fromRecord(record: EndpointTotalsRecord): EndpointTotals {
    const totals = new EndpointTotals(record.method, record.name);
    totals.addInterval(record);
    return totals;
  }
}

export interface EndpointTotalsRecord {
  method: string;
  name: string;
  requests: number;
  failures: number;
  sumResponseMs: number;
  minResponseMs: number;
  maxResponseMs: number;
  histogram: HistogramPairs;
}

export interface ErrorCount {
  method: string;
  name: string;
  error: string;
  occurrences: number;
}

/** What a store keeps per run so whole-run figures need no scan of its snapshots. */
export interface WindowStatsRecord {
  snapshots: number;
  lastSeq: number;
  /** Start of the first interval and end of the last one (unix ms); null before any snapshot. */
  from: number | null;
  to: number | null;
  /** Sum of the intervals' lengths: the time load was measured over. */
  activeMs: number;
  /** The first seq taken in (1: the window starts with the run); absent in records stored before it was kept. */
  firstSeq?: number;
  /** Locust's own rate basis as of the last snapshot taken in (see MetricSnapshotInput.locustSpanMs). */
  locustSpanMs?: number;
  users: number;
  maxUsers: number;
  endpoints: EndpointTotalsRecord[];
  errors: ErrorCount[];
  /** A run split over regions: each region's figures (over the same seconds), by name. */
  regions?: RegionStatsRecord[];
}

export type RegionStatsRecord = Omit<WindowStatsRecord, "regions"> & { region: string };

type SnapshotPart = Pick<
  MetricSnapshotInput,
  "seq" | "timestamp" | "intervalMs" | "users" | "endpoints" | "errors" | "locustSpanMs" | "regions"
>;

const key = (method: string, name: string): string => `${method}\u0000${name}`;

/** Accumulates snapshots (optionally only one endpoint name) into per-endpoint totals and error counts. */
export class WindowStats {
  snapshots = 0;
  firstSeq: number | null = null;
  lastSeq = 0;
  locustSpanMs = 0;
  from: number | null = null;
  to: number | null = null;
  activeMs = 0;
  users = 0;
  maxUsers = 0;
  readonly endpoints = new Map<string, EndpointTotals>();
  readonly errors = new Map<string, ErrorCount>();
  /** A run split over regions: each region's figures, kept as the whole run's are. */
  readonly regions = new Map<string, WindowStats>();

  constructor(private readonly nameFilter?: string) {}

  addSnapshot(snapshot: SnapshotPart): void {
    this.snapshots += 1;
    this.firstSeq = Math.min(this.firstSeq ?? snapshot.seq, snapshot.seq);
    this.lastSeq = Math.max(this.lastSeq, snapshot.seq);
    // Cumulative, so the largest is the latest.
    this.locustSpanMs = Math.max(this.locustSpanMs, snapshot.locustSpanMs ?? 0);
    const start = snapshot.timestamp - snapshot.intervalMs;
    this.from = this.from === null ? start : Math.min(this.from, start);
    if (this.to === null || snapshot.timestamp >= this.to) {
      this.to = snapshot.timestamp;
      this.users = snapshot.users;
    }
    this.maxUsers = Math.max(this.maxUsers, snapshot.users);
    this.activeMs += snapshot.intervalMs;
    for (const interval of snapshot.endpoints) {
      if (this.nameFilter !== undefined && interval.name !== this.nameFilter) continue;
      let k = key(interval.method, interval.name);
      let totals = this.endpoints.get(k);
      if (totals === undefined && this.endpoints.size >= MAX_DISTINCT_ENDPOINTS) {
        k = key("", OTHER_ENDPOINTS);
        totals = this.endpoints.get(k);
      }
      if (totals === undefined) {
        totals =
          k === key("", OTHER_ENDPOINTS)
            ? new EndpointTotals("", OTHER_ENDPOINTS)
            : new EndpointTotals(interval.method, interval.name);
        this.endpoints.set(k, totals);
      }
      totals.addInterval(interval);
    }
    for (const error of snapshot.errors) {
      if (this.nameFilter !== undefined && error.name !== this.nameFilter) continue;
      this.addError(error);
    }
    for (const part of snapshot.regions ?? []) {
      let region = this.regions.get(part.region);
      if (region === undefined) {
        if (this.regions.size >= MAX_RUN_REGIONS) continue;
        region = new WindowStats(this.nameFilter);
        this.regions.set(part.region, region);
      }
      // Over the same seconds as the whole run's, and so at the same rate basis.
      region.addSnapshot({
        ...snapshot,
        users: part.users,
        endpoints: part.endpoints,
        errors: part.errors,
        regions: [],
      });
    }
  }

  private addError(error: ErrorCount): void {
    const k = `${key(error.method, error.name)}\u0000${error.error}`;
    const known = this.errors.get(k);
    if (known !== undefined) {
      known.occurrences += error.occurrences;
    } else if (this.errors.size < MAX_DISTINCT_ERRORS) {
      this.errors.set(k, { ...error });
    } else {
      this.addOther(error.occurrences);
    }
  }

  private addOther(occurrences: number): void {
    const k = `\u0000\u0000${OTHER_ERRORS}`;
    const other = this.errors.get(k) ?? { method: "", name: "", error: OTHER_ERRORS, occurrences: 0 };
    other.occurrences += occurrences;
    this.errors.set(k, other);
  }

  /** What a reader of these figures should know: rows in which the caps above folded the rest. */
  warnings(): string[] {
    const warnings: string[] = [];
    if (this.endpoints.has(key("", OTHER_ENDPOINTS))) {
      warnings.push(
        `the run named more than ${MAX_DISTINCT_ENDPOINTS} distinct endpoints; the rest are counted in one row, "${OTHER_ENDPOINTS}"`,
      );
    }
    if (this.errors.has(`\u0000\u0000${OTHER_ERRORS}`)) {
      warnings.push(
        `the run had more than ${MAX_DISTINCT_ERRORS} distinct failure messages; the rest are counted together`,
      );
    }
    return warnings;
  }

  /**
   * The seconds every rate of these figures divides by. From the run's start (seq 1) up to a
   * snapshot, Locust's own: its last request's time minus its test start, so requests/s equal
   * locust_stats.csv's. For a window inside the run, the length of the intervals it holds.
   */
  rateSeconds(): number {
    return this.firstSeq === 1 && this.locustSpanMs > 0 ? this.locustSpanMs / 1000 : this.activeMs / 1000;
  }

  /** All endpoints together: Locust's "Aggregated" row. */
  total(): EndpointTotals {
    const total = new EndpointTotals("", "Aggregated");
    for (const totals of this.endpoints.values()) total.merge(totals);
    return total;
  }

  /** Endpoints sorted by (name, method), as Locust lists them. */
  sortedEndpoints(): EndpointTotals[] {
    return [...this.endpoints.values()].sort((a, b) =>
      a.name === b.name ? a.method.localeCompare(b.method) : a.name.localeCompare(b.name),
    );
  }

  toRecord(): WindowStatsRecord {
    return {
      snapshots: this.snapshots,
      ...(this.firstSeq !== null ? { firstSeq: this.firstSeq } : {}),
      lastSeq: this.lastSeq,
      locustSpanMs: this.locustSpanMs,
      from: this.from,
      to: this.to,
      activeMs: this.activeMs,
      users: this.users,
      maxUsers: this.maxUsers,
      endpoints: this.sortedEndpoints().map((totals) => totals.toRecord()),
      errors: [...this.errors.values()],
      ...(this.regions.size > 0
        ? {
            regions: [...this.regions.entries()]
              .sort(([a], [b]) => a.localeCompare(b))
              .map(([region, stats]) => {
                const { regions: _none, ...record } = stats.toRecord();
                return { region, ...record };
              }),
          }
        : {}),
    };
  }

  static fromRecord(record: WindowStatsRecord): WindowStats {
    const stats = new WindowStats();
    stats.snapshots = record.snapshots;
    stats.firstSeq = record.firstSeq ?? null;
    stats.lastSeq = record.lastSeq;
    stats.locustSpanMs = record.locustSpanMs ?? 0;
    stats.from = record.from;
    stats.to = record.to;
    stats.activeMs = record.activeMs;
    stats.users = record.users;
    stats.maxUsers = record.maxUsers;
    for (const endpoint of record.endpoints) {
      stats.endpoints.set(key(endpoint.method, endpoint.name), EndpointTotals.fromRecord(endpoint));
    }
    for (const error of record.errors) {
      stats.errors.set(`${key(error.method, error.name)}\u0000${error.error}`, { ...error });
    }
    for (const { region, ...regionRecord } of record.regions ?? []) {
      stats.regions.set(region, WindowStats.fromRecord(regionRecord));
    }
    return stats;
  }
}
