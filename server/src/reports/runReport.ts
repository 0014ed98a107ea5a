import {
  NO_SUCCESS_ERROR_PERCENT,
  formatThresholdItem,
  formats,
  type GraphPoint,
  type LoadTestRun,
  type RequestStats,
  type RequestStatsRow,
  type RunSummary,
} from "@loadmgr/shared";
import { escapeHtml as esc, lineChartSvg } from "./svgChart.js";

const { count, duration, measured, ms, percent, perSecond, whenUtc } = formats;

/** Everything a run's report shows, as the API answers it. */
export interface RunReportData {
  run: LoadTestRun;
  testName: string;
  summary: RunSummary;
  requests: RequestStats;
  points: GraphPoint[];
  /** The baseline the verdict compared with (its name, how it was set up differently), when there was one and it still exists. */
  baseline: { id: string; name: string; differences: string[] } | null;
  generatedAt: number;
}

const COLORS = { users: "#8a63d2", rps: "#4f7cff", errors: "#d64545", p50: "#2e9d6b", p95: "#e0a100", p99: "#d64545" };

/** Inline only: the report is one file that opens anywhere, offline, with nothing to fetch. */
const STYLE = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f6f7f9;margin:0}
main{max-width:960px;margin:0 auto;padding:24px}
h1{font-size:1.6rem;margin:.2rem 0}h2{font-size:1.1rem;margin:0 0 .6rem}
.muted{color:#5b6370}.small{font-size:.85rem}
section{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:16px 20px;margin:0 0 16px}
.cards{display:grid;grid-template-columns:repeat(4,minmax(0,1fr));gap:12px;margin:0 0 16px}
.card{background:#fff;border:1px solid #dde1e6;border-radius:10px;padding:12px 16px}
.card b{display:block;font-size:1.5rem}.card span{color:#5b6370;font-size:.85rem}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:4px 8px;border-bottom:1px solid #eceef1}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}.mono,code{font-family:ui-monospace,Menlo,Consolas,monospace}
tr.total td{font-weight:600}
.badge{display:inline-block;font-size:.8rem;font-weight:600;padding:0 .5rem;border-radius:999px;border:1px solid currentColor}
.Finished,.pass{color:#1f8a5b}.Failed,.fail{color:#c43b3b}.Stopped{color:#5b6370}.Running,.Pending,.Stopping{color:#b07d00}
dl{display:grid;grid-template-columns:max-content 1fr;gap:2px 16px;margin:0}dt{color:#5b6370}dd{margin:0}
svg.chart{width:100%;height:auto;font-size:11px;fill:#5b6370}svg .grid{stroke:#eceef1}svg .axis{stroke:#9aa0ab}
.failure{border-color:#e7b3b3;background:#fdf3f3}
@media print{body{background:#fff}section,.card{break-inside:avoid}}
`;

function row(cells: string[], cls = ""): string {
  return `<tr${cls ? ` class="${cls}"` : ""}>${cells.join("")}</tr>`;
}

const td = (text: string, cls = ""): string => `<td${cls ? ` class="${cls}"` : ""}>${esc(text)}</td>`;

const FIGURES = ["Requests", "Failures", "RPS", "Average", "p50", "p95", "p99", "Max"];

const figureCells = (r: RequestStatsRow): string[] => [
  td(count(r.numRequests), "num"),
  td(count(r.numFailures), "num"),
  td(perSecond(r.requestsPerSec), "num"),
  td(ms(r.avgResponseMs), "num"),
  td(ms(r.p50ResponseMs), "num"),
  td(ms(r.p95ResponseMs), "num"),
  td(ms(r.p99ResponseMs), "num"),
  td(ms(r.maxResponseMs), "num"),
];

const headOf = (first: string[]): string =>
  [...first, ...FIGURES].map((h, i) => `<th${i > 0 ? ' class="num"' : ""}>${h}</th>`).join("");

function endpointTable(requests: RequestStats): string {
  const rowOf = (r: RequestStatsRow, total: boolean): string =>
    row([td(total ? "Aggregated" : `${r.method} ${r.name}`.trim(), "mono"), ...figureCells(r)], total ? "total" : "");
  return `<table id="endpoints"><thead><tr>${headOf(["Endpoint"])}</tr></thead><tbody>${requests.endpoints
    .map((r) => rowOf(r, false))
    .join("")}${rowOf(requests.total, true)}</tbody></table>`;
}

/** A run split over regions: each region's totals beside the whole run's. */
function regionTable(requests: RequestStats): string {
  const rows = requests.regions.map((r) =>
    row([td(r.region, "mono"), td(`${r.share} %`, "num"), td(count(r.workers), "num"), ...figureCells(r.total)]),
  );
  const whole = row([td("Whole run"), td("100 %", "num"), td("", "num"), ...figureCells(requests.total)], "total");
  return `<table id="regions"><thead><tr>${headOf(["Region", "Share", "Workers"])}</tr></thead><tbody>${rows.join(
    "",
  )}${whole}</tbody></table>`;
}

function failuresTable(requests: RequestStats): string {
  const failures = requests.endpoints.flatMap((e) =>
    e.failureMessages.map((f) => ({ endpoint: `${e.method} ${e.name}`.trim(), ...f })),
  );
  if (failures.length === 0) return `<p class="muted">No failures.</p>`;
  return `<table id="failures"><thead><tr><th>Endpoint</th><th>Error</th><th class="num">Count</th></tr></thead><tbody>${failures
    .map((f) => row([td(f.endpoint, "mono"), td(f.error), td(count(f.occurrences), "num")]))
    .join("")}</tbody></table>`;
}

function ranWith(run: LoadTestRun, revisionNumber: number | null): string {
  const facts: [string, string][] = [
    ["Target", run.targetUrl],
    ["Revision", revisionNumber === null ? run.scriptRevisionId : `#${revisionNumber}`],
    [
      "Load",
      run.stages === null
        ? `${count(run.targetUsers)} users at ${run.spawnRate}/s for ${duration(run.durationSec)}`
        : run.stages.map((s) => `${count(s.users)} users for ${duration(s.durationSec)}`).join(" → "),
    ],
    [
      "Load changes",
      run.loadChanges.length > 0
        ? run.loadChanges
            .map(
              (c) =>
                `${duration(Math.max(0, Math.round((c.at - (run.startedAt ?? c.at)) / 1000)))} in: ${count(c.targetUsers)} users at ${c.spawnRate}/s (${c.by})`,
            )
            .join("; ")
        : "—",
    ],
    [
      "Started by",
      `${run.createdBy} (${run.trigger.type}${run.trigger.scheduleId !== null ? ` ${run.trigger.scheduleId}` : ""})`,
    ],
    ["Env", run.envId ?? "—"],
    ["Tags", run.tags.length > 0 ? run.tags.join(", ") : "—"],
    [
      "Parameters",
      Object.keys(run.env).length > 0
        ? Object.entries(run.env)
            .map(([k, v]) => `${k}=${v}`)
            .join(", ")
        : "—",
    ],
    ["Secrets", run.secrets.length > 0 ? `${run.secrets.join(", ")} (names only)` : "—"],
    ["Thresholds", run.thresholds.length > 0 ? run.thresholds.map(formatThresholdItem).join("; ") : "—"],
    ["Started", whenUtc(run.startedAt)],
    ["Ended", whenUtc(run.finishedAt)],
  ];
  return `<dl id="ran-with">${facts.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>`;
}

function verdictSection(run: LoadTestRun, baseline: RunReportData["baseline"]): string {
  const { verdict, outcome } = run;
  // The run's one outcome, as the dashboard, the API and the CLI give it.
  const heading =
    outcome === null
      ? "<h2>Outcome</h2>"
      : `<h2>Outcome: <span class="${outcome === "passed" ? "pass" : "fail"}" id="outcome">${outcome.replace("-", " ")}</span></h2>`;
  if (verdict === null) {
    const why =
      outcome === "no-success"
        ? `No request succeeded, or at least ${NO_SUCCESS_ERROR_PERCENT} % failed.`
        : "No thresholds and no baseline: nothing else to judge.";
    return `<section id="verdict">${heading}<p class="muted">${why}</p></section>`;
  }
  const parts: string[] = [heading];
  const cause = verdict.abortedBy;
  if (cause !== null) {
    parts.push(
      `<p class="fail" id="abort-cause">${esc(cause.threshold)} broke ${esc(duration(cause.atSec))} into the run: measured ${esc(cause.measured === null ? "nothing" : measured(cause.threshold, cause.measured))} ${esc(cause.windowSec === null ? "over the run so far" : `over the last ${duration(cause.windowSec)}`)}; the server stopped the run.</p>`,
    );
  }
  if (verdict.checks.length > 0) {
    parts.push(
      `<ul id="checks">${verdict.checks
        .map(
          (c) =>
            `<li class="${c.passed ? "pass" : "fail"}">${c.passed ? "✓" : "✗"} <code>${esc(c.threshold)}</code> measured ${esc(c.measured === null ? "nothing" : measured(c.threshold, c.measured))}</li>`,
        )
        .join("")}</ul>`,
    );
  }
  if (verdict.baselineRunId !== null) {
    const name = baseline?.name ?? verdict.baselineRunId;
    parts.push(`<h2 id="baseline">Against the baseline ${esc(name)}</h2>`);
    if ((baseline?.differences.length ?? 0) > 0) {
      parts.push(
        `<p class="fail" id="baseline-differences">Not set up alike, so the comparison may mislead: ${esc((baseline?.differences ?? []).join("; "))}.</p>`,
      );
    }
    if (verdict.regressions.length === 0) {
      parts.push(`<p class="pass">✓ No regression.</p>`);
    } else {
      if (verdict.passed) {
        parts.push(
          `<p class="muted">Reported only: the test does not fail a run on a regression (failOnRegression).</p>`,
        );
      }
      parts.push(
        `<table id="regressions"><thead><tr><th>Endpoint</th><th>Figure</th><th class="num">Baseline</th><th class="num">This run</th><th class="num">Change</th></tr></thead><tbody>${verdict.regressions
          .map((r) => {
            const value = (n: number): string => (r.metric === "error_rate" ? percent(n) : ms(n));
            return row([
              td(r.endpoint, "mono"),
              td(r.metric === "error_rate" ? "error rate" : r.metric),
              td(value(r.baseline), "num"),
              td(value(r.measured), "num"),
              td(r.metric === "error_rate" ? `+${r.change} points` : `+${r.change} %`, "num fail"),
            ]);
          })
          .join("")}</tbody></table>`,
      );
    }
  }
  return `<section id="verdict">${parts.join("")}</section>`;
}

/** A run's report: one self-contained HTML file (inline CSS, charts as inline SVG, no script, nothing fetched). */
export function renderRunReport(data: RunReportData): string {
  const { run, summary, requests, points } = data;
  const times = points.map((p) => p.timestamp);
  const start = run.startedAt;
  const charts = [
    lineChartSvg({
      title: "Users",
      times,
      start,
      unit: "users",
      series: [{ label: "Users", color: COLORS.users, values: points.map((p) => p.users) }],
      height: 200,
    }),
    lineChartSvg({
      title: "Requests/s and failures/s",
      times,
      start,
      unit: "req/s",
      series: [
        { label: "RPS", color: COLORS.rps, values: points.map((p) => p.requestsPerSec) },
        { label: "Failures/s", color: COLORS.errors, values: points.map((p) => p.failuresPerSec) },
      ],
    }),
    lineChartSvg({
      title: "Response times (p50, p95, p99)",
      times,
      start,
      unit: "ms",
      series: [
        { label: "p50", color: COLORS.p50, values: points.map((p) => p.p50ResponseMs) },
        { label: "p95", color: COLORS.p95, values: points.map((p) => p.p95ResponseMs) },
        { label: "p99", color: COLORS.p99, values: points.map((p) => p.p99ResponseMs) },
      ],
    }),
  ];
  const cards: [string, string, string][] = [
    ["Total requests", count(summary.totalRequests), `${count(summary.totalFailures)} failed`],
    ["Requests/s", perSecond(summary.requestsPerSec), "whole-run average"],
    ["Error rate", percent(summary.errorRatePercent), ""],
    [
      "Average response",
      ms(summary.avgResponseMs),
      `p95 ${ms(summary.p95ResponseMs)} · p99 ${ms(summary.p99ResponseMs)}`,
    ],
  ];
  const title = `${data.testName} · ${run.name}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Load Manager">
<title>${esc(title)} — Load Manager report</title>
<style>${STYLE}</style>
</head>
<body>
<main>
<p class="muted small">Load Manager run report · generated ${esc(whenUtc(data.generatedAt))}</p>
<h1>${esc(title)}</h1>
<p><span class="badge ${esc(run.status)}" id="status">${esc(run.status)}</span>${run.baseline ? ' <span class="badge">baseline</span>' : ""} <span class="muted mono small">run ${esc(run.id)} · test ${esc(run.loadTestId)}</span></p>
${run.failureReason !== null ? `<section class="failure" id="failure-reason"><h2>The run failed</h2><p>${esc(run.failureReason)}</p></section>` : ""}
<section><h2>What it ran</h2>${ranWith(run, summary.revisionNumber)}</section>
<div class="cards">${cards
    .map(
      ([label, value, hint]) =>
        `<div class="card" data-card="${esc(label)}"><span>${esc(label)}</span><b>${esc(value)}</b><span>${esc(hint)}</span></div>`,
    )
    .join("")}</div>
${verdictSection(run, data.baseline)}
<section id="charts"><h2>Over time</h2>${points.length === 0 ? '<p class="muted">The run sent no snapshots.</p>' : charts.join("")}</section>
${requests.regions.length > 0 ? `<section><h2>Regions</h2>${regionTable(requests)}</section>` : ""}
<section><h2>Endpoints</h2>${endpointTable(requests)}</section>
<section><h2>Failures</h2>${failuresTable(requests)}</section>
</main>
</body>
</html>
`;
}
