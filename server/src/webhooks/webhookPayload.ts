import { formats, type LoadTestRun, type WebhookEvent, type WebhookFormat } from "@loadmgr/shared";

const { count, duration, ms, percent, perSecond } = formats;

/** The events a run's move to its current status sets off. */
export function eventsOf(run: LoadTestRun): WebhookEvent[] {
  switch (run.status) {
    case "Running":
      return ["run.started"];
    case "Finished":
    case "Failed":
    case "Stopped": {
      const events: WebhookEvent[] = [
        run.status === "Finished" ? "run.finished" : run.status === "Failed" ? "run.failed" : "run.stopped",
      ];
      const verdict = run.verdict;
      if (verdict !== null && (verdict.aborted || verdict.checks.some((c) => !c.passed))) {
        events.push("threshold.breached");
      }
      if ((verdict?.regressions.length ?? 0) > 0) events.push("regression.detected");
      return events;
    }
    default:
      return [];
  }
}

export interface PayloadInput {
  event: WebhookEvent;
  run: LoadTestRun;
  testName: string;
  deliveryId: string;
  sentAt: number;
  /** The run's page in the dashboard, when the server knows its own URL (server.publicUrl). */
  runUrl: string | null;
}

/** What every JSON delivery carries: the event, the run, its results, its outcome and its verdict. */
export function jsonPayload({ event, run, testName, deliveryId, sentAt, runUrl }: PayloadInput) {
  return {
    event,
    deliveryId,
    sentAt,
    runId: run.id,
    loadTestId: run.loadTestId,
    testName,
    runName: run.name,
    number: run.number,
    status: run.status,
    failureReason: run.failureReason,
    accountId: run.accountId,
    orgId: run.orgId,
    projectId: run.projectId,
    envId: run.envId,
    targetUrl: run.targetUrl,
    trigger: run.trigger,
    startedAt: run.startedAt,
    finishedAt: run.finishedAt,
    results: run.results,
    outcome: run.outcome,
    verdict: run.verdict,
    url: runUrl,
  };
}

/** Text as Slack's mrkdwn shows it literally. */
const slackText = (text: string): string =>
  text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");

const HEADLINES: Record<WebhookEvent, string> = {
  "run.started": "started",
  "run.finished": "finished",
  "run.failed": "failed",
  "run.stopped": "was stopped",
  "threshold.breached": "breached a threshold",
  "regression.detected": "regressed against its baseline",
};

/** A Slack-compatible message ({text, blocks}) for an incoming webhook. */
export function slackPayload(input: PayloadInput) {
  const { event, run, testName, runUrl } = input;
  const name = `${slackText(testName)} · ${slackText(run.name)}`;
  const title = runUrl !== null ? `<${runUrl}|${name}>` : name;
  const good = run.outcome === null || run.outcome === "passed";
  const mark =
    event === "run.started" ? "▶️" : (event === "run.finished" || event === "run.stopped") && good ? "✅" : "❌";
  const outcome = run.outcome !== null ? `, ${run.outcome.replace("-", " ")}` : "";
  const lines = [`${mark} *${title}* ${HEADLINES[event]} (${run.status}${outcome})`];
  const results = run.results;
  if (results !== null) {
    lines.push(
      `${count(results.totalRequests)} requests · ${perSecond(results.requestsPerSec)} · errors ${percent(results.errorRatePercent)} · p95 ${ms(results.p95ResponseMs)} · p99 ${ms(results.p99ResponseMs)}`,
    );
  } else {
    lines.push(`${count(run.targetUsers)} users for ${duration(run.durationSec)} against ${slackText(run.targetUrl)}`);
  }
  if (run.failureReason !== null) lines.push(`> ${slackText(run.failureReason)}`);
  const verdict = run.verdict;
  for (const check of verdict?.checks.filter((c) => !c.passed) ?? []) {
    lines.push(
      `✗ \`${slackText(check.threshold)}\` measured ${check.measured === null ? "nothing" : check.measured.toFixed(1)}`,
    );
  }
  for (const r of verdict?.regressions ?? []) {
    lines.push(
      `▲ ${slackText(r.endpoint)} ${r.metric} ${r.baseline.toFixed(1)} → ${r.measured.toFixed(1)} (${r.metric === "error_rate" ? `+${r.change} points` : `+${r.change} %`})`,
    );
  }
  const text = lines.join("\n");
  return {
    text,
    blocks: [
      { type: "section", text: { type: "mrkdwn", text } },
      {
        type: "context",
        elements: [
          {
            type: "mrkdwn",
            text: `Load Manager · ${slackText(event)} · run ${slackText(run.id)} · ${slackText(run.accountId)}/${slackText(run.orgId)}/${slackText(run.projectId)}${run.envId !== null ? `/${slackText(run.envId)}` : ""}`,
          },
        ],
      },
    ],
  };
}

/** The body of one delivery, in the webhook's format. */
export function webhookBody(format: WebhookFormat, input: PayloadInput): string {
  return JSON.stringify(format === "slack" ? slackPayload(input) : jsonPayload(input));
}
