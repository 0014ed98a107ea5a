import { useEffect, useLayoutEffect, useMemo, useRef, useState } from "preact/hooks";
import {
  wholeTimeseries,
  type GraphPoint,
  type LoadManagerClient,
  type LoadTestRun,
  type RequestSample,
  type RequestStats,
  type RunFile,
  type RunSummary,
} from "../../../client/src/index.js";
import { abortRules, thresholdStates, type ThresholdItem, type ThresholdState } from "../../../shared/src/judge.js";
import { runDifferences } from "../../../shared/src/compare.js";
import { NO_SUCCESS_ERROR_PERCENT } from "../../../shared/src/runOutcome.js";
import { isTerminal, runWarning, waitingFor } from "../../../shared/src/runStatus.js";
import { COLORS, percentileSeries, TimeChart, type ChartMark } from "../Chart.js";
import { endpointHref } from "./EndpointPage.js";
import { stageAt } from "../../../shared/src/stages.js";
import { byteSize, count, duration, measured, ms, percent, perSecond, when } from "../format.js";
import { problemOf, savedToken, type Problem } from "../session.js";
import { BaselineBadge, Card, Empty, ErrorBox, Loading, RunBadge, usePageTitle } from "../ui.js";

const LOG_ROWS = 200;

/** The chart's history is fetched with adjacent snapshots merged to at most this many points. */
const HISTORY_POINTS = 1000;

/** A chart point without the per-endpoint detail a live snapshot also carries. */
const pointOf = (p: GraphPoint): GraphPoint => ({
  seq: p.seq,
  timestamp: p.timestamp,
  users: p.users,
  requestsPerSec: p.requestsPerSec,
  failuresPerSec: p.failuresPerSec,
  avgResponseMs: p.avgResponseMs,
  p50ResponseMs: p.p50ResponseMs,
  p95ResponseMs: p.p95ResponseMs,
  p99ResponseMs: p.p99ResponseMs,
});

type SortKey =
  | "name"
  | "numRequests"
  | "numFailures"
  | "requestsPerSec"
  | "avgResponseMs"
  | "p50ResponseMs"
  | "p95ResponseMs"
  | "p99ResponseMs"
  | "maxResponseMs";

const COLUMNS: [SortKey, string, (row: RequestStats["total"]) => string][] = [
  ["name", "Endpoint", (r) => `${r.method} ${r.name}`.trim()],
  ["numRequests", "Requests", (r) => count(r.numRequests)],
  ["numFailures", "Failures", (r) => count(r.numFailures)],
  ["requestsPerSec", "RPS", (r) => perSecond(r.requestsPerSec)],
  ["avgResponseMs", "Average", (r) => ms(r.avgResponseMs)],
  ["p50ResponseMs", "p50", (r) => ms(r.p50ResponseMs)],
  ["p95ResponseMs", "p95", (r) => ms(r.p95ResponseMs)],
  ["p99ResponseMs", "p99", (r) => ms(r.p99ResponseMs)],
  ["maxResponseMs", "Max", (r) => ms(r.maxResponseMs)],
];

function EndpointTable({ runId, stats }: { runId: string; stats: RequestStats }) {
  const [sort, setSort] = useState<{ key: SortKey; descending: boolean }>({ key: "numRequests", descending: true });
  const rows = [...stats.endpoints].sort((a, b) => {
    const order =
      sort.key === "name" ? `${a.method} ${a.name}`.localeCompare(`${b.method} ${b.name}`) : a[sort.key] - b[sort.key];
    return sort.descending ? -order : order;
  });
  if (rows.length === 0) return <Empty title="No requests yet">Rows appear with the first snapshot.</Empty>;
  return (
    <div class="table-wrap">
      <table class="endpoints">
        <thead>
          <tr>
            {COLUMNS.map(([key, label]) => (
              <th
                key={key}
                scope="col"
                aria-sort={sort.key === key ? (sort.descending ? "descending" : "ascending") : "none"}
              >
                <button
                  type="button"
                  class="sort"
                  onClick={() => setSort({ key, descending: sort.key === key ? !sort.descending : key !== "name" })}
                >
                  {label}
                  <span aria-hidden="true">{sort.key === key ? (sort.descending ? " ▼" : " ▲") : ""}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={`${row.method} ${row.name}`}>
              {COLUMNS.map(([key, , show]) => (
                <td key={key} class={key === "name" ? "mono" : "num"}>
                  {key === "name" ? (
                    <a href={endpointHref(runId, row.name)} title="Percentiles over time and the distribution">
                      {show(row)}
                    </a>
                  ) : (
                    show(row)
                  )}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            {COLUMNS.map(([key, , show]) => (
              <td key={key} class={key === "name" ? "" : "num"}>
                {key === "name" ? "Aggregated" : show(stats.total)}
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** A run split over regions: each region's totals beside the whole run's. */
function RegionTable({ stats }: { stats: RequestStats }) {
  const figures = COLUMNS.filter(([key]) => key !== "name");
  return (
    <div class="table-wrap">
      <table class="regions" data-testid="regions">
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">Share</th>
            <th scope="col">Workers</th>
            <th scope="col" title="the most users its workers ran at once">
              Users
            </th>
            {figures.map(([key, label]) => (
              <th key={key} scope="col">
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {stats.regions.map((r) => (
            <tr key={r.region} data-region={r.region}>
              <td class="mono">{r.region}</td>
              <td class="num">{r.share} %</td>
              <td class="num">{count(r.workers)}</td>
              <td class="num">{count(r.maxUsers)}</td>
              {figures.map(([key, , show]) => (
                <td key={key} class="num">
                  {show(r.total)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
        <tfoot>
          <tr>
            <td>Whole run</td>
            <td class="num">100 %</td>
            <td />
            <td />
            {figures.map(([key, , show]) => (
              <td key={key} class="num">
                {show(stats.total)}
              </td>
            ))}
          </tr>
        </tfoot>
      </table>
    </div>
  );
}

/** The endpoints of the whole run, or of one of its regions (fetched again as the whole run's figures are). */
function Endpoints({ client, runId, stats }: { client: LoadManagerClient; runId: string; stats: RequestStats }) {
  const [region, setRegion] = useState("");
  const [ofRegion, setOfRegion] = useState<RequestStats | null>(null);
  useEffect(() => {
    if (region === "") return;
    let live = true;
    client.analytics.requests.query({ id: runId, region }).then(
      (q) => live && setOfRegion(q),
      () => live && setOfRegion(null),
    );
    return () => {
      live = false;
    };
  }, [client, runId, region, stats]);
  const shown = region === "" ? stats : ofRegion?.region === region ? ofRegion : null;
  return (
    <>
      {stats.regions.length > 0 && (
        <label class="region-pick">
          Endpoints of{" "}
          <select value={region} onChange={(e) => setRegion((e.target as HTMLSelectElement).value)}>
            <option value="">the whole run</option>
            {stats.regions.map((r) => (
              <option key={r.region} value={r.region}>
                region {r.region}
              </option>
            ))}
          </select>
        </label>
      )}
      {shown === null ? <Loading what={`region ${region}`} /> : <EndpointTable runId={runId} stats={shown} />}
    </>
  );
}

function RequestLog({ client, runId }: { client: LoadManagerClient; runId: string }) {
  const [samples, setSamples] = useState<RequestSample[]>([]);
  const [paused, setPaused] = useState(false);
  const [missed, setMissed] = useState(0);
  const pausedRef = useRef(paused);
  pausedRef.current = paused;
  useEffect(() => {
    const subscription = client.runs.onRequestLog.subscribe(
      { runId },
      {
        onData: (batch) => {
          if (pausedRef.current) setMissed((n) => n + batch.samples.length);
          else setSamples((s) => [...batch.samples.slice().reverse(), ...s].slice(0, LOG_ROWS));
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [client, runId]);
  return (
    <section class="panel" aria-labelledby="log-title">
      <div class="page-head">
        <h2 id="log-title">Request log</h2>
        <button
          type="button"
          class="secondary"
          aria-pressed={paused}
          onClick={() => {
            setPaused(!paused);
            setMissed(0);
          }}
        >
          {paused ? `Resume${missed > 0 ? ` (${count(missed)} new)` : ""}` : "Pause"}
        </button>
      </div>
      <p class="muted">Every failure and a sample of successes, newest first.</p>
      {samples.length === 0 ? (
        <Empty title="No requests logged yet" />
      ) : (
        <div class="table-wrap log">
          <table>
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Request</th>
                <th scope="col">Response</th>
                <th scope="col">Result</th>
              </tr>
            </thead>
            <tbody>
              {samples.map((s, i) => (
                <tr key={`${s.timestamp}-${i}`} class={s.success ? undefined : "row-failed"}>
                  <td class="muted">{when(s.timestamp).slice(11)}</td>
                  <td class="mono">
                    {s.method} {s.name}
                  </td>
                  <td class="num">{ms(s.responseMs)}</td>
                  <td>{s.success ? "ok" : (s.error ?? "failed")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

async function download(name: string, body: Blob): Promise<void> {
  const url = URL.createObjectURL(body);
  const link = Object.assign(document.createElement("a"), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  await new Promise((r) => setTimeout(r, 100));
  URL.revokeObjectURL(url);
}

/** How long after a run's end its page looks for the files its master sends (they come as Locust exits). */
const FILES_EXPECTED_WITHIN_MS = 60_000;

/**
 * Locust's own files of an ended run (its CSVs, its log), as the server collected them when the run's
 * master ended: each downloaded with the token (a plain link could not send it).
 */
function LocustFiles({ client, run }: { client: LoadManagerClient; run: LoadTestRun }) {
  const [files, setFiles] = useState<RunFile[] | null>(null);
  const ended = isTerminal(run.status);
  useEffect(() => {
    if (!ended) return;
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const look = () =>
      client.runs.files.query({ id: run.id }).then(
        ({ items }) => {
          if (!live) return;
          setFiles(items);
          // Right after the end they may still be on their way.
          if (items.length === 0 && Date.now() - (run.finishedAt ?? 0) < FILES_EXPECTED_WITHIN_MS) {
            timer = setTimeout(() => void look(), 2000);
          }
        },
        () => live && setFiles([]),
      );
    void look();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, run.id, run.finishedAt, ended]);
  if (!ended || files === null || files.length === 0) return null;

  async function save(name: string) {
    const res = await fetch(`/v1/runs/${encodeURIComponent(run.id)}/files/${name}`, {
      headers: { authorization: `Bearer ${savedToken() ?? ""}` },
    });
    if (res.ok) await download(`run-${run.id}-${name}`, await res.blob());
  }

  return (
    <section class="panel" aria-labelledby="locust-files-title" data-testid="locust-files">
      <h2 id="locust-files-title">Locust's files</h2>
      <p class="muted">As Locust wrote them on the master's host; the host keeps nothing of the run.</p>
      <ul class="file-list">
        {files.map((f) => (
          <li key={f.name}>
            <button type="button" class="link" onClick={() => void save(f.name)}>
              {f.name}
            </button>{" "}
            <span class="muted">
              {byteSize(f.bytes)}
              {f.truncated && (f.name.endsWith(".log") ? " (its last 8 MiB)" : " (its first 8 MiB)")}
            </span>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Where each stage of a run begins on its charts. */
/** The chart's marks: where each stage began, and each change of load asked while it ran. */
function loadMarks(run: LoadTestRun | null): ChartMark[] {
  const changes = (run?.loadChanges ?? []).map((c) => ({ at: c.at, label: `→ ${count(c.targetUsers)} users` }));
  return [...stageMarks(run), ...changes];
}

function stageMarks(run: LoadTestRun | null): ChartMark[] {
  if (run?.stages == null || run.startedAt === null) return [];
  let at = run.startedAt;
  return run.stages.map((stage, i) => {
    const mark = { at, label: `stage ${i + 1}: ${count(stage.users)} users` };
    at += stage.durationSec * 1000;
    return mark;
  });
}

/** What the run ran with: its target, parameters, secrets (names only), stages, and which shape drove it. */
const TRIGGER_NAMES: Record<LoadTestRun["trigger"]["type"], string> = {
  api: "the API",
  cli: "the CLI",
  dashboard: "the dashboard",
  ci: "a CI pipeline",
  webhook: "a webhook",
  schedule: "a schedule",
};

function RanWith({ run }: { run: LoadTestRun }) {
  const params = Object.entries(run.env);
  return (
    <dl class="facts ran-with" data-testid="ran-with">
      <dt>Target</dt>
      <dd>{run.targetUrl}</dd>
      <dt>Started from</dt>
      <dd data-testid="trigger">{TRIGGER_NAMES[run.trigger.type]}</dd>
      {params.length > 0 && (
        <>
          <dt>Parameters</dt>
          <dd>{params.map(([k, v]) => `${k}=${v}`).join(" · ")}</dd>
        </>
      )}
      {run.secrets.length > 0 && (
        <>
          <dt>Secrets</dt>
          <dd>{run.secrets.join(", ")} (values hidden as ***)</dd>
        </>
      )}
      {run.stages !== null && (
        <>
          <dt>Stages</dt>
          <dd>
            {run.stages
              .map((s) => `${count(s.users)} users for ${duration(s.durationSec)} at ${s.spawnRate}/s`)
              .join(" → ")}
          </dd>
        </>
      )}
      {run.shapeNote !== null && (
        <>
          <dt>Load shape</dt>
          <dd data-testid="shape-note">{run.shapeNote}</dd>
        </>
      )}
    </dl>
  );
}

const STATE_MARK: Record<ThresholdState, string> = { held: "✓", "at risk": "!", breached: "✗", "no data": "…" };

/** The run's thresholds against its figures so far: held, at risk (within 10 % of the limit), breached. */
function LiveThresholds({ thresholds, stats }: { thresholds: ThresholdItem[]; stats: RequestStats | null }) {
  const states = stats === null ? [] : thresholdStates(thresholds, stats);
  const aborts = new Map(abortRules(thresholds).map((r) => [r.threshold, r]));
  return (
    <section class="panel verdict live-thresholds" aria-labelledby="live-thresholds-title">
      <h2 id="live-thresholds-title">Thresholds, so far</h2>
      <ul>
        {states.map((s) => (
          <li key={s.threshold} class={`threshold-${s.state.replace(" ", "-")}`} data-state={s.state}>
            <span aria-hidden="true">{STATE_MARK[s.state]}</span> <code>{s.threshold}</code> {s.state}
            {s.measured !== null && <span class="muted"> · now {measured(s.threshold, s.measured)}</span>}
            {aborts.has(s.threshold) && <AbortNote rule={aborts.get(s.threshold)} />}
          </li>
        ))}
      </ul>
      <p class="muted small">
        Judged on the whole run so far; the verdict is given when the run ends. Those that abort are judged on every
        snapshot by the server, over their window.
      </p>
    </section>
  );
}

function AbortNote({ rule }: { rule: ReturnType<typeof abortRules>[number] | undefined }) {
  if (rule === undefined) return null;
  return (
    <span class="muted" data-aborts>
      {" "}
      · stops the run on a breach
      {rule.windowSec !== null ? ` over ${duration(rule.windowSec)}` : ""}
      {rule.delayAbortEvalSec > 0 ? `, from ${duration(rule.delayAbortEvalSec)} in` : ""}
    </span>
  );
}

/** What no success means, where it is shown. */
const NO_SUCCESS = `No success: no request succeeded, or at least ${NO_SUCCESS_ERROR_PERCENT} % failed`;

/**
 * The run's outcome (the one the lists, the report and the CLI show) with what it was decided from:
 * an aborting threshold that stopped it, each threshold, the baseline comparison.
 */
function VerdictPanel({ client, run }: { client: LoadManagerClient; run: LoadTestRun }) {
  const { verdict, outcome } = run;
  if (verdict === null && outcome !== "no-success") return null;
  const cause = verdict?.abortedBy ?? null;
  const title =
    outcome === "no-success"
      ? NO_SUCCESS
      : verdict?.aborted === true
        ? "Aborted by a threshold"
        : verdict !== null && verdict.checks.length > 0
          ? `Thresholds ${verdict.checks.every((c) => c.passed) ? "held" : "breached"}${outcome === "regressed" ? ", and it regressed" : ""}`
          : `Outcome: ${outcome ?? (verdict?.passed === true ? "passed" : "failed")}`;
  const good = outcome === null ? verdict?.passed === true : outcome === "passed";
  return (
    <section
      class={`panel verdict ${good ? "verdict-pass" : "verdict-fail"}`}
      aria-labelledby="verdict-title"
      data-outcome={outcome ?? ""}
    >
      <h2 id="verdict-title">{title}</h2>
      {cause !== null && (
        <p class="abort-cause" data-testid="abort-cause">
          ✗ <code>{cause.threshold}</code> broke {duration(cause.atSec)} into the run: measured{" "}
          {cause.measured === null ? "nothing" : measured(cause.threshold, cause.measured)}{" "}
          {cause.windowSec === null ? "over the run so far" : `over the last ${duration(cause.windowSec)}`}; the server
          stopped the run.
        </p>
      )}
      {verdict !== null && verdict.checks.length > 0 && (
        <ul>
          {verdict.checks.map((c) => (
            <li key={c.threshold} class={c.passed ? "pass" : "fail"}>
              {c.passed ? "✓" : "✗"} <code>{c.threshold}</code> measured{" "}
              {c.measured === null ? "nothing" : measured(c.threshold, c.measured)}
            </li>
          ))}
        </ul>
      )}
      {verdict !== null && verdict.baselineRunId !== null && (
        <BaselineComparison client={client} run={run} verdict={verdict} />
      )}
    </section>
  );
}

/** How the baseline was set up differently from this run (from both runs' own records); none until read. */
function BaselineDifferences({
  client,
  run,
  baselineId,
}: {
  client: LoadManagerClient;
  run: LoadTestRun;
  baselineId: string;
}) {
  const [differences, setDifferences] = useState<string[]>([]);
  useEffect(() => {
    client.runs.get
      .query({ id: baselineId })
      .then((baseline) => setDifferences(runDifferences(baseline, run)))
      .catch(() => setDifferences([])); // deleted since: nothing to say
  }, [client, baselineId, run]);
  if (differences.length === 0) return null;
  return (
    <p class="fail baseline-differences" data-testid="baseline-differences">
      ⚠ Not set up alike, so the comparison may mislead: {differences.join("; ")}.
    </p>
  );
}

function BaselineComparison({
  client,
  run,
  verdict,
}: {
  client: LoadManagerClient;
  run: LoadTestRun;
  verdict: NonNullable<LoadTestRun["verdict"]>;
}) {
  const against = <a href={`#/runs/${verdict.baselineRunId ?? ""}`}>the baseline</a>;
  const differences =
    verdict.baselineRunId !== null ? (
      <BaselineDifferences client={client} run={run} baselineId={verdict.baselineRunId} />
    ) : null;
  if (verdict.regressions.length === 0) {
    return (
      <>
        <p class="pass" data-testid="regressions" data-count="0">
          ✓ No regression against {against}.
        </p>
        {differences}
      </>
    );
  }
  return (
    <div data-testid="regressions" data-count={verdict.regressions.length}>
      {differences}
      <p class="fail">
        ✗ {verdict.regressions.length === 1 ? "1 regression" : `${verdict.regressions.length} regressions`} against{" "}
        {against}:
      </p>
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">Figure</th>
              <th scope="col">Baseline</th>
              <th scope="col">This run</th>
              <th scope="col">Change</th>
            </tr>
          </thead>
          <tbody>
            {verdict.regressions.map((r) => (
              <tr key={`${r.endpoint} ${r.metric}`}>
                <td class="mono">{r.endpoint}</td>
                <td>{r.metric === "error_rate" ? "error rate" : r.metric}</td>
                <td class="num">{r.metric === "error_rate" ? percent(r.baseline) : ms(r.baseline)}</td>
                <td class="num">{r.metric === "error_rate" ? percent(r.measured) : ms(r.measured)}</td>
                <td class="num fail">{r.metric === "error_rate" ? `+${r.change} points` : `+${r.change} %`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

/** Why a run failed: its cause in one line, the log's end folded below it. */
function FailureReason({ run }: { run: LoadTestRun }) {
  const [cause = "", ...rest] = (run.failureReason ?? "").split("\n");
  return (
    <div class="error-box failure-reason" role="alert">
      <strong>{run.status === "Failed" ? "The run failed" : "Note"}</strong>
      <p class="failure-cause">{cause}</p>
      {rest.length > 0 && (
        <details>
          <summary>Locust's output ({rest.length} lines)</summary>
          <pre>{rest.join("\n")}</pre>
        </details>
      )}
    </div>
  );
}

/** A run: live while it runs (cards, charts, endpoints, request log), complete afterwards. */
export function RunPage({ client, runId }: { client: LoadManagerClient; runId: string }) {
  const [run, setRun] = useState<LoadTestRun | null>(null);
  const [summary, setSummary] = useState<RunSummary | null>(null);
  const [stats, setStats] = useState<RequestStats | null>(null);
  const [points, setPoints] = useState<GraphPoint[]>([]);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [connection, setConnection] = useState<"live" | "reconnecting" | "ended">("live");
  const [steerUsers, setSteerUsers] = useState("");
  const [steering, setSteering] = useState(false);
  const [stopping, setStopping] = useState(false);
  const [markingBaseline, setMarkingBaseline] = useState(false);
  /** Stop asks first: one click shows the question, a second one stops. */
  const [confirmingStop, setConfirmingStop] = useState(false);
  const confirmStop = useRef<HTMLButtonElement>(null);
  // In the commit, so the question has the focus before the next key press.
  useLayoutEffect(() => confirmStop.current?.focus(), [confirmingStop]);
  const refresh = useRef<() => void>(() => undefined);
  /** The newest seq the cards' figures include (the run's lastMetrics when they were fetched). */
  const figuresSeq = useRef(0);
  /** The test's name, for the breadcrumb (until it arrives, or if the test is gone: "Test"). */
  const [testName, setTestName] = useState<string | null>(null);
  const loadTestId = run?.loadTestId;
  useEffect(() => {
    if (loadTestId === undefined) return;
    client.loadTests.get.query({ id: loadTestId }).then(
      (test) => setTestName(test.name),
      () => setTestName(null),
    );
  }, [client, loadTestId]);

  useEffect(() => {
    let live = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let last = 0;
    const fetchFigures = () =>
      Promise.all([
        client.runs.get.query({ id: runId }),
        client.analytics.summary.query({ id: runId }),
        client.analytics.requests.query({ id: runId }),
      ])
        .then(([r, s, q]) => {
          if (!live) return;
          figuresSeq.current = r.lastMetrics?.seq ?? 0;
          setRun(r);
          setSummary(s);
          setStats(q);
          setProblem(null);
        })
        .catch((error: unknown) => live && setProblem(problemOf(error)));
    // Pushed snapshots ask for fresh figures, at most once a second.
    refresh.current = () => {
      const wait = Math.max(0, last + 1000 - Date.now());
      clearTimeout(timer);
      timer = setTimeout(() => {
        last = Date.now();
        void fetchFigures();
      }, wait);
    };
    void fetchFigures();
    return () => {
      live = false;
      clearTimeout(timer);
    };
  }, [client, runId]);

  // The history in one query (a long run's snapshots merged to HISTORY_POINTS), then every snapshot
  // after it, live. On a reconnect the client resumes after the last one it got: no gaps, no repeats.
  useEffect(() => {
    let live = true;
    let subscription: { unsubscribe: () => void } | undefined;
    // Snapshots arriving together (a replay after a reconnect) are drawn together, once per frame.
    let arrived: GraphPoint[] = [];
    let frame: number | undefined;
    const draw = () => {
      frame = undefined;
      const batch = arrived;
      arrived = [];
      setPoints((ps) => {
        const fresh: GraphPoint[] = [];
        let last = ps.at(-1)?.seq ?? 0;
        for (const p of batch) {
          if (p.seq > last) fresh.push(p);
          last = Math.max(last, p.seq);
        }
        return fresh.length === 0 ? ps : [...ps, ...fresh];
      });
    };
    setPoints([]);
    client.analytics.graph
      .query({ id: runId, maxPoints: HISTORY_POINTS })
      .then((graph) => {
        if (!live) return;
        setPoints(graph.points);
        // Snapshots stored between the figures' first fetch and this history are on the chart but
        // not on the cards, and no push will tell of them: then the figures are fetched again.
        if (graph.lastSeq > figuresSeq.current) refresh.current();
        subscription = client.runs.onMetrics.subscribe(
          { runId, lastEventId: String(graph.lastSeq) },
          {
            onData: ({ data }) => {
              setConnection("live");
              arrived.push(pointOf(data));
              frame ??= requestAnimationFrame(draw);
              refresh.current();
            },
            onConnectionStateChange: (state) => {
              if (state.state === "connecting" && state.error !== null) setConnection("reconnecting");
              if (state.state === "pending") setConnection((c) => (c === "reconnecting" ? "live" : c));
            },
            onComplete: () => {
              setConnection("ended");
              refresh.current();
            },
            onError: (error) => setProblem(problemOf(error)),
          },
        );
      })
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
      if (frame !== undefined) cancelAnimationFrame(frame);
      subscription?.unsubscribe();
    };
  }, [client, runId]);

  // Status changes (Pending → Running, a stop from elsewhere) arrive live too.
  useEffect(() => {
    if (run === null) return;
    const subscription = client.runs.onStatus.subscribe(
      { loadTestId: run.loadTestId },
      {
        onData: (changed) => {
          if (changed.id === runId) {
            setRun(changed);
            refresh.current();
          }
        },
      },
    );
    return () => subscription.unsubscribe();
  }, [client, runId, run?.loadTestId]);

  const charts = useMemo(
    () => ({
      times: points.map((p) => p.timestamp),
      load: [
        {
          label: "Users",
          color: COLORS.users,
          values: points.map((p) => p.users),
          unit: "users",
          axis: "right" as const,
        },
        { label: "RPS", color: COLORS.rps, values: points.map((p) => p.requestsPerSec), unit: "req/s" },
        { label: "Failures/s", color: COLORS.errors, values: points.map((p) => p.failuresPerSec), unit: "req/s" },
        ...(run?.stages != null && run.startedAt !== null
          ? [
              {
                label: "Stage target",
                color: COLORS.target,
                values: points.map(
                  (p) => stageAt(run.stages ?? [], (p.timestamp - (run.startedAt ?? 0)) / 1000)?.stage.users ?? null,
                ),
                unit: "users",
                axis: "right" as const,
              },
            ]
          : []),
      ],
      latency: percentileSeries(points),
      marks: loadMarks(run),
    }),
    [points, run?.stages, run?.startedAt, run?.loadChanges],
  );

  usePageTitle(run?.name);
  if (problem !== null && run === null) return <ErrorBox problem={problem} />;
  if (run === null || summary === null || stats === null) return <Loading what="the run" />;

  const active = !isTerminal(run.status);
  const waiting = waitingFor(run);
  const warning = runWarning(run);
  const failures = stats.endpoints.flatMap((e) =>
    e.failureMessages.map((f) => ({ endpoint: `${e.method} ${e.name}`.trim(), ...f })),
  );
  const progress = Math.min(1, summary.elapsedSec / run.durationSec);
  // What the API accepts as a baseline: a run that ended Finished or Stopped, with requests that succeeded.
  const canBeBaseline =
    run.baseline ||
    ((run.status === "Finished" || run.status === "Stopped") &&
      (run.results?.totalRequests ?? 0) > 0 &&
      run.outcome !== "no-success");

  async function stop() {
    setConfirmingStop(false);
    setStopping(true);
    try {
      setRun(await client.runs.stop.mutate({ id: runId }));
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setStopping(false);
    }
  }

  async function steer(event: Event) {
    event.preventDefault();
    const users = Number(steerUsers);
    setSteering(true);
    setProblem(null);
    try {
      setRun(await client.runs.setLoad.mutate({ id: runId, targetUsers: users }));
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setSteering(false);
    }
  }

  async function setBaseline(on: boolean) {
    setMarkingBaseline(true);
    setProblem(null);
    try {
      setRun(
        on
          ? await client.runs.setBaseline.mutate({ id: runId })
          : await client.runs.clearBaseline.mutate({ id: runId }),
      );
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setMarkingBaseline(false);
    }
  }

  async function exportCsv() {
    const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/requests.csv`, {
      headers: { authorization: `Bearer ${savedToken() ?? ""}` },
    });
    await download(`run-${runId}-requests.csv`, await res.blob());
  }

  /** The self-contained HTML report, fetched with the token (a plain link could not send it) and saved. */
  async function exportReport() {
    const res = await fetch(`/v1/runs/${encodeURIComponent(runId)}/report.html`, {
      headers: { authorization: `Bearer ${savedToken() ?? ""}` },
    });
    if (!res.ok) {
      const body = (await res.json().catch(() => ({}))) as { message?: string };
      setProblem({
        code: "ERROR",
        message: body.message ?? `the report could not be made (${res.status})`,
        fields: {},
        paths: {},
      });
      return;
    }
    await download(`run-${runId}-report.html`, await res.blob());
  }

  async function exportJson() {
    const [requests, timeseries] = await Promise.all([
      client.analytics.requests.query({ id: runId }),
      wholeTimeseries(client, { id: runId }),
    ]);
    await download(
      `run-${runId}.json`,
      new Blob([JSON.stringify({ run, summary, requests, timeseries }, null, 2)], { type: "application/json" }),
    );
  }

  return (
    <div class="run-page" data-status={run.status}>
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href={`#/tests/${run.loadTestId}`}>{testName ?? "Test"}</a> / run
          </p>
          <h1>{run.name}</h1>
          <p class="muted run-facts">
            <RunBadge run={run} /> <BaselineBadge run={run} /> revision {summary.revisionNumber ?? "?"} · started by{" "}
            {run.createdBy} ·{" "}
            {run.stages === null
              ? `${count(run.targetUsers)} users at ${run.spawnRate}/s for ${duration(run.durationSec)}`
              : `${run.stages.length} stages up to ${count(run.targetUsers)} users over ${duration(run.durationSec)}`}{" "}
            · started {when(run.startedAt)}
            {run.finishedAt !== null && ` · ended ${when(run.finishedAt)}`}
          </p>
          <RanWith run={run} />
          {run.placement.length > 0 && <Placement run={run} />}
          {waiting !== null && (
            <p class="muted" role="status" data-waiting>
              {waiting[0]?.toUpperCase()}
              {waiting.slice(1)}…
            </p>
          )}
        </div>
        <div class="actions">
          {connection === "reconnecting" && (
            <span class="badge badge-stopping" role="status">
              reconnecting…
            </span>
          )}
          {connection === "live" && active && (
            <span class="badge badge-running live-dot" role="status">
              live
            </span>
          )}
          {run.status === "Running" && run.stages === null && (
            <form class="steer" onSubmit={(e) => void steer(e)} aria-label="Change the users">
              <label>
                Users{" "}
                <input
                  type="number"
                  min={1}
                  required
                  value={steerUsers}
                  onInput={(e) => setSteerUsers((e.target as HTMLInputElement).value)}
                  placeholder={String(run.loadChanges.at(-1)?.targetUsers ?? run.targetUsers)}
                />
              </label>
              <button type="submit" disabled={steering || steerUsers === ""}>
                {steering ? "Changing…" : "Change"}
              </button>
            </form>
          )}
          {active && !confirmingStop && (
            <button
              type="button"
              class="danger"
              disabled={stopping || run.status === "Stopping"}
              onClick={() => setConfirmingStop(true)}
            >
              {run.status === "Stopping" ? "Stopping…" : "Stop run"}
            </button>
          )}
          {active && confirmingStop && (
            <span class="confirm" role="group" aria-label="Stop this run?">
              <span>Stop this run?</span>
              <button ref={confirmStop} type="button" class="danger" onClick={() => void stop()}>
                Yes, stop it
              </button>
              <button type="button" class="secondary" onClick={() => setConfirmingStop(false)}>
                Keep running
              </button>
            </span>
          )}
          {canBeBaseline && (
            <button
              type="button"
              class="secondary"
              data-action="baseline"
              disabled={markingBaseline}
              onClick={() => void setBaseline(!run.baseline)}
            >
              {run.baseline ? "Clear baseline" : "Make baseline"}
            </button>
          )}
          <button type="button" class="secondary" data-action="report" onClick={() => void exportReport()}>
            Report (HTML)
          </button>
          <button type="button" class="secondary" onClick={() => void exportCsv()}>
            Export CSV
          </button>
          <button type="button" class="secondary" onClick={() => void exportJson()}>
            Export JSON
          </button>
        </div>
      </div>
      {run.failureReason !== null && <FailureReason run={run} />}
      {run.warnings.length > 0 && (
        <div class="error-box run-warnings" role="status" data-testid="run-warnings">
          <strong>{run.warnings.length === 1 ? "A warning" : `${run.warnings.length} warnings`} while it ran</strong>
          <ul>
            {run.warnings.map((w) => (
              <li key={`${w.at}-${w.message}`}>
                {when(w.at)}: {w.message}
              </li>
            ))}
          </ul>
        </div>
      )}
      {warning !== null && (
        <div class="error-box run-warning" role="alert">
          <strong>This run did not succeed</strong>
          <p>{warning}. Check the target URL and that the target is up; the errors below say what failed.</p>
        </div>
      )}
      {problem !== null && <ErrorBox problem={problem} />}
      {active && (
        <div
          class="progress"
          role="progressbar"
          aria-label="Run progress"
          aria-valuenow={Math.round(progress * 100)}
          aria-valuemin={0}
          aria-valuemax={100}
        >
          <div class="progress-bar" style={{ width: `${(progress * 100).toFixed(1)}%` }} />
          <span>
            {duration(summary.elapsedSec)} of {duration(run.durationSec)}
          </span>
        </div>
      )}
      <div class="cards">
        <Card
          label="Total requests"
          value={count(summary.totalRequests)}
          hint={`${count(summary.totalFailures)} failed`}
        />
        <Card
          label="Requests/s"
          value={perSecond(active ? summary.currentRequestsPerSec : summary.requestsPerSec)}
          hint={active ? `now · ${perSecond(summary.requestsPerSec)} average` : "whole-run average"}
        />
        <Card
          label="Error rate"
          value={percent(summary.errorRatePercent)}
          tone={summary.errorRatePercent > 0 ? "bad" : undefined}
        />
        <Card
          label="Average response"
          value={ms(summary.avgResponseMs)}
          hint={`p95 ${ms(summary.p95ResponseMs)} · p99 ${ms(summary.p99ResponseMs)}`}
        />
      </div>
      <VerdictPanel client={client} run={run} />
      {(run.verdict === null || run.verdict.checks.length === 0) && active && run.thresholds.length > 0 && (
        <LiveThresholds thresholds={run.thresholds} stats={stats} />
      )}
      {points.length === 0 ? (
        <section class="panel">
          {active ? <Loading what="the first snapshot" /> : <Empty title="This run sent no snapshots" />}
        </section>
      ) : (
        <div class="columns charts" data-seqs={points.map((p) => p.seq).join(",")}>
          <section class="panel">
            <TimeChart
              title="Users, requests/s and failures/s"
              times={charts.times}
              series={charts.load}
              marks={charts.marks}
              marksLabel="Stages and changes of load"
            />
          </section>
          <section class="panel">
            <TimeChart
              title="Response times (p50, p95, p99)"
              times={charts.times}
              series={charts.latency}
              marks={charts.marks}
              marksLabel="Stages and changes of load"
            />
          </section>
        </div>
      )}
      {stats.regions.length > 0 && (
        <section class="panel" aria-labelledby="regions-title">
          <h2 id="regions-title">Regions</h2>
          <RegionTable stats={stats} />
        </section>
      )}
      <section class="panel" aria-labelledby="endpoints-title">
        <h2 id="endpoints-title">Endpoints</h2>
        <Endpoints client={client} runId={run.id} stats={stats} />
      </section>
      <section class="panel" aria-labelledby="failures-title">
        <h2 id="failures-title">Failures</h2>
        {failures.length === 0 ? (
          <Empty title="No failures" />
        ) : (
          <div class="table-wrap">
            <table>
              <thead>
                <tr>
                  <th scope="col">Endpoint</th>
                  <th scope="col">Error</th>
                  <th scope="col">Count</th>
                </tr>
              </thead>
              <tbody>
                {failures.map((f) => (
                  <tr key={`${f.endpoint} ${f.error}`}>
                    <td class="mono">{f.endpoint}</td>
                    <td>{f.error}</td>
                    <td class="num">{count(f.occurrences)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      <RequestLog client={client} runId={runId} />
      <LocustFiles client={client} run={run} />
    </div>
  );
}

/** Where a pool run's Locust processes are: its master's agent, then each agent's workers (lost ones struck). */
function Placement({ run }: { run: LoadTestRun }) {
  const master = run.placement.find((e) => e.role === "master");
  const workers = run.placement.filter((e) => e.role === "worker");
  return (
    <p class="muted" data-testid="placement">
      {run.workers ?? 0} workers on {new Set(run.placement.map((e) => e.agentName)).size} agents · master on{" "}
      {master?.agentName ?? "?"}
      {run.masterEndpoint !== null && ` (${run.masterEndpoint})`} · workers:{" "}
      {workers.map((e, i) => (
        <span key={e.agentId}>
          {i > 0 && ", "}
          {e.lostAt !== null ? (
            <del title={`lost ${when(e.lostAt)}`}>
              {e.agentName} ×{e.processes}
            </del>
          ) : (
            `${e.agentName} ×${e.processes}`
          )}
          {e.region !== undefined && ` (${e.region})`}
        </span>
      ))}
    </p>
  );
}
