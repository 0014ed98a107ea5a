// No zod: the CLI's summary, a pure function of what the API answers.
import type { RequestStatsRow } from "./analytics.js";
import { formatThresholdItem } from "./judge.js";
import { count, duration, measured, ms, percent, perSecond } from "./format.js";
import type { LoadTestRun } from "./run.js";

/** Text as Markdown shows it literally: no table breaks, no HTML, no emphasis or links (names come from scripts). */
export function markdownText(text: string): string {
  return text
    .replace(/[\r\n]+/g, " ")
    .replace(/[\\`*_[\]|~#]/g, (c) => `\\${c}`)
    .replaceAll("&", "&amp;")
    .replaceAll("<", "&lt;")
    .replaceAll(">", "&gt;");
}

/** Text as an inline code span: literal, so nothing but a backtick needs care (a longer fence around it). */
export function markdownCode(text: string): string {
  const flat = text.replace(/[\r\n]+/g, " ");
  const longest = Math.max(0, ...[...flat.matchAll(/`+/g)].map((m) => m[0].length));
  const fence = "`".repeat(longest + 1);
  return longest === 0 ? `${fence}${flat}${fence}` : `${fence} ${flat} ${fence}`;
}

export interface SummaryInput {
  run: LoadTestRun;
  testName: string;
  requests: { total: RequestStatsRow; endpoints: RequestStatsRow[] };
  /** Where the run's HTML report is, to link it. */
  reportUrl?: string | undefined;
}

/** The run's stored outcome in a few words and a mark, as a pipeline's summary leads with it. */
function outcome(run: LoadTestRun): string {
  switch (run.outcome) {
    case null:
      return run.status;
    case "aborted":
      return "❌ Aborted by a threshold";
    case "no-success":
      return "❌ No success";
    case "failed":
      return run.status === "Failed" ? "❌ Failed" : "❌ Thresholds breached";
    case "regressed":
      return "⚠️ Regressed against the baseline";
    case "passed":
      if (run.status === "Stopped") return "⏹️ Stopped";
      return run.verdict === null ? "✅ Finished" : "✅ Passed";
  }
}

/**
 * A run's Markdown summary for a CI job (GitHub's $GITHUB_STEP_SUMMARY, a GitLab note): the verdict,
 * the four cards, the thresholds, the baseline comparison and the endpoint table.
 */
export function markdownSummary({ run, testName, requests, reportUrl }: SummaryInput): string {
  const t = requests.total;
  const lines: string[] = [
    `### ${outcome(run)}: ${markdownText(testName)} · ${markdownText(run.name)}`,
    "",
    [
      `**${run.status}**`,
      run.stages === null
        ? `${count(run.targetUsers)} users for ${duration(run.durationSec)}`
        : `${run.stages.length} stages up to ${count(run.targetUsers)} users`,
      `target ${markdownText(run.targetUrl)}`,
      `run \`${run.id}\``,
      ...(reportUrl !== undefined ? [`[report](${reportUrl})`] : []),
    ].join(" · "),
    "",
  ];
  if (run.failureReason !== null) lines.push(`> ${markdownText(run.failureReason)}`, "");
  lines.push(
    "| Requests | Requests/s | Error rate | Average response |",
    "| ---: | ---: | ---: | ---: |",
    `| ${count(t.numRequests)} (${count(t.numFailures)} failed) | ${perSecond(t.requestsPerSec)} | ${percent(
      t.numRequests > 0 ? (100 * t.numFailures) / t.numRequests : 0,
    )} | ${ms(t.avgResponseMs)} (p95 ${ms(t.p95ResponseMs)}, p99 ${ms(t.p99ResponseMs)}) |`,
    "",
  );
  const verdict = run.verdict;
  if (verdict !== null && verdict.checks.length > 0) {
    lines.push("**Thresholds**", "");
    const kinds = new Map(run.thresholds.map((item) => [typeof item === "string" ? item : item.threshold, item]));
    for (const check of verdict.checks) {
      const item = kinds.get(check.threshold) ?? check.threshold;
      const value =
        check.measured === null ? "nothing measured" : `measured ${measured(check.threshold, check.measured)}`;
      lines.push(`- ${check.passed ? "✅" : "❌"} ${markdownCode(formatThresholdItem(item))}: ${value}`);
    }
    lines.push("");
  }
  const cause = verdict?.abortedBy ?? null;
  if (cause !== null) {
    lines.push(
      `**Aborted** ${duration(cause.atSec)} into the run: ${markdownCode(cause.threshold)} measured ${
        cause.measured === null ? "nothing" : measured(cause.threshold, cause.measured)
      } ${cause.windowSec === null ? "over the run so far" : `over the last ${duration(cause.windowSec)}`}.`,
      "",
    );
  }
  if (verdict !== null && verdict.baselineRunId !== null) {
    if (verdict.regressions.length === 0) {
      lines.push(`**Baseline** \`${verdict.baselineRunId}\`: ✅ no regression.`, "");
    } else {
      lines.push(
        `**Baseline** \`${verdict.baselineRunId}\`: ❌ ${verdict.regressions.length} regression(s)`,
        "",
        "| Endpoint | Figure | Baseline | This run | Change |",
        "| --- | --- | ---: | ---: | ---: |",
        ...verdict.regressions.map((r) => {
          const value = (n: number): string => (r.metric === "error_rate" ? percent(n) : ms(n));
          const change = r.metric === "error_rate" ? `+${r.change} points` : `+${r.change} %`;
          return `| ${markdownText(r.endpoint)} | ${r.metric} | ${value(r.baseline)} | ${value(r.measured)} | ${change} |`;
        }),
        "",
      );
    }
  }
  const rows = [...requests.endpoints, { ...t, method: "", name: "Aggregated" }];
  lines.push(
    "<details><summary>Endpoints</summary>",
    "",
    "| Endpoint | Requests | Failures | RPS | p50 | p95 | p99 |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ...rows.map(
      (r) =>
        `| ${markdownText(`${r.method} ${r.name}`.trim())} | ${count(r.numRequests)} | ${count(r.numFailures)} | ${perSecond(
          r.requestsPerSec,
        )} | ${ms(r.p50ResponseMs)} | ${ms(r.p95ResponseMs)} | ${ms(r.p99ResponseMs)} |`,
    ),
    "",
    "</details>",
    "",
  );
  return lines.join("\n");
}
