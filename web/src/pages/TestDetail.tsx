import { useCallback, useEffect, useLayoutEffect, useRef, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest, LoadTestRun, ScriptRevision, Trend } from "../../../client/src/index.js";
import { COLORS, percentileSeries, TimeChart } from "../Chart.js";
import { SideBySideDiff } from "../Diff.js";
import { count, duration, ms, percent, perSecond, when } from "../format.js";
import { ProjectPanel, textOf } from "../ProjectPanel.js";
import { SchedulesPanel } from "../SchedulesPanel.js";
import { RunOptionFields } from "../RunOptions.js";
import { defaultRunOptions, RUN_OPTION_FIELDS, runOverrides } from "../runOverrides.js";
import { paramsText, stagesText, thresholdsText } from "../params.js";
import { fromBase64 } from "../script.js";
import { problemOf, shownAtField, type Problem } from "../session.js";
import { fileChanges, LOCUSTFILE_PATH } from "../../../shared/src/scriptPaths.js";
import {
  BaselineBadge,
  Empty,
  ErrorBox,
  Field,
  FoldingPanel,
  Loading,
  RunBadge,
  usePageTitle,
  Verdict,
} from "../ui.js";

const RUN_FIELDS = [...RUN_OPTION_FIELDS, "name"] as const;

function RunForm({ client, test }: { client: LoadManagerClient; test: LoadTest }) {
  const [options, setOptions] = useState(() => defaultRunOptions(test));
  const [name, setName] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  async function start(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      const { overrides, thresholds } = runOverrides(test, options);
      const run = await client.runs.create.mutate({
        id: test.id,
        ...overrides,
        ...(thresholds !== null ? { thresholds } : {}),
        trigger: "dashboard",
        ...(name.trim() !== "" ? { name: name.trim() } : {}),
      });
      location.hash = `#/runs/${run.id}`;
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }
  return (
    <form class="panel run-form" onSubmit={(e) => void start(e)} aria-labelledby="run-form-title" noValidate>
      <h2 id="run-form-title">Run</h2>
      <RunOptionFields test={test} options={options} onChange={setOptions} problem={problem} />
      <Field label="Name" name="name" problem={problem} hint="optional">
        <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} />
      </Field>
      {problem !== null && !shownAtField(problem, RUN_FIELDS) && (
        <p class="form-error" role="alert">
          {problem.message}
        </p>
      )}
      <button type="submit" disabled={busy}>
        {busy ? "Starting…" : "Start run"}
      </button>
    </form>
  );
}

function Revisions({
  client,
  testId,
  revisions,
}: {
  client: LoadManagerClient;
  testId: string;
  revisions: ScriptRevision[];
}) {
  const newest = revisions[0];
  const [a, setA] = useState<string>(revisions[1]?.id ?? newest?.id ?? "");
  const [b, setB] = useState<string>(newest?.id ?? "");
  const [path, setPath] = useState(LOCUSTFILE_PATH);
  const [texts, setTexts] = useState<[string, string] | null>(null);
  // A new revision: show what it changed against the one before.
  useEffect(() => {
    setA(revisions[1]?.id ?? newest?.id ?? "");
    setB(newest?.id ?? "");
  }, [newest?.id]);
  const left = revisions.find((r) => r.id === a);
  const right = revisions.find((r) => r.id === b);
  const changes = left !== undefined && right !== undefined ? fileChanges(left.files, right.files) : [];
  // The file to compare, from each revision (empty where it is not there).
  useEffect(() => {
    if (left === undefined || right === undefined) return;
    if (path === LOCUSTFILE_PATH) {
      setTexts([fromBase64(left.scriptContent), fromBase64(right.scriptContent)]);
      return;
    }
    let live = true;
    const read = async (revision: ScriptRevision): Promise<string> => {
      if (!revision.files.some((f) => f.path === path)) return "";
      const file = await client.scripts.file.query({ id: testId, revisionId: revision.id, path });
      return textOf(file.contentBase64) ?? `(a binary file of ${file.sizeBytes} bytes)`;
    };
    void Promise.all([read(left), read(right)]).then((pair) => live && setTexts(pair));
    return () => {
      live = false;
    };
  }, [client, testId, left?.id, right?.id, path]);
  const pick = (value: string, set: (id: string) => void, label: string) => (
    <label>
      <span class="field-label">{label}</span>
      <select name={label} value={value} onChange={(e) => set(e.currentTarget.value)}>
        {revisions.map((r) => (
          <option key={r.id} value={r.id}>
            revision {r.revisionNumber}
          </option>
        ))}
      </select>
    </label>
  );
  return (
    <FoldingPanel id="revisions-title" title="Revisions">
      <div class="table-wrap">
        <table>
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">What changed</th>
              <th scope="col">Files</th>
              <th scope="col">By</th>
              <th scope="col">When</th>
            </tr>
          </thead>
          <tbody>
            {revisions.map((r) => (
              <tr key={r.id}>
                <td>{r.revisionNumber}</td>
                <td>{r.description || <span class="muted">—</span>}</td>
                <td>{r.files.length + 1}</td>
                <td>{r.createdBy}</td>
                <td class="muted">{when(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {revisions.length > 1 && left !== undefined && right !== undefined && (
        <>
          <h3>Compare revisions</h3>
          <div class="inline-form">
            {pick(a, setA, "From")}
            {pick(b, setB, "To")}
          </div>
          <ul class="file-changes" aria-label="Files changed">
            {[
              { path: LOCUSTFILE_PATH, change: left.scriptContent === right.scriptContent ? "unchanged" : "changed" },
              ...changes,
            ].map((c) => (
              <li key={c.path} data-change={c.change}>
                <button
                  type="button"
                  class={c.path === path ? "link selected" : "link"}
                  aria-current={c.path === path ? "true" : undefined}
                  onClick={() => setPath(c.path)}
                >
                  <span class="mono">{c.path}</span>
                </button>{" "}
                <span class={c.change === "unchanged" ? "muted" : "badge"}>{c.change}</span>
              </li>
            ))}
          </ul>
          {texts !== null && (
            <SideBySideDiff
              before={texts[0]}
              after={texts[1]}
              labels={[`revision ${left.revisionNumber}/${path}`, `revision ${right.revisionNumber}/${path}`]}
            />
          )}
        </>
      )}
    </FoldingPanel>
  );
}

/** The compare page for two ticked runs: the older one is A (before), whichever was ticked first. */
function compareLink(runs: LoadTestRun[], picked: string[]): string {
  const age = (id: string) => runs.findIndex((r) => r.id === id); // newest first: a higher index is older
  const [a, b] = [...picked].sort((x, y) => age(y) - age(x));
  return `#/compare?a=${a ?? ""}&b=${b ?? ""}`;
}

function RecentRuns({ runs }: { runs: LoadTestRun[] }) {
  const [picked, setPicked] = useState<string[]>([]);
  if (runs.length === 0) return <Empty title="No runs yet">Start one with the form.</Empty>;
  const toggle = (id: string) => setPicked((p) => (p.includes(id) ? p.filter((x) => x !== id) : [...p.slice(-1), id]));
  return (
    <>
      <div class="table-wrap">
        <table class="runs">
          <thead>
            <tr>
              <th scope="col">
                <span class="visually-hidden">Compare</span>
              </th>
              <th scope="col">Run</th>
              <th scope="col">Status</th>
              <th scope="col">Users</th>
              <th scope="col">Requests</th>
              <th scope="col">Verdict</th>
              <th scope="col">Started by</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} data-run-id={r.id}>
                <td>
                  <input
                    type="checkbox"
                    aria-label={`Compare ${r.name}`}
                    checked={picked.includes(r.id)}
                    onChange={() => toggle(r.id)}
                  />
                </td>
                <td>
                  <a href={`#/runs/${r.id}`}>{r.name}</a>
                </td>
                <td>
                  <RunBadge run={r} /> <BaselineBadge run={r} />
                </td>
                <td>{count(r.targetUsers)}</td>
                <td>{r.lastMetrics === null ? "—" : count(r.lastMetrics.totalRequests)}</td>
                <td>
                  <Verdict run={r} />
                </td>
                <td>{r.createdBy}</td>
                <td class="muted">{when(r.createdAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p>
        {picked.length === 2 ? (
          <a class="button secondary" href={compareLink(runs, picked)}>
            Compare the two runs
          </a>
        ) : (
          <span class="muted">Tick two runs to compare them.</span>
        )}
      </p>
    </>
  );
}

function TrendChart({ trend }: { trend: Trend }) {
  const runs = trend.runs.filter((r) => r.totalRequests > 0);
  if (runs.length < 2) return <Empty title="No trend yet">It shows once two runs have results.</Empty>;
  const last = runs[runs.length - 1];
  const baselines = runs.filter((r) => r.baseline);
  return (
    <>
      <TimeChart
        title="Across runs: response times and requests/s"
        times={runs.map((r) => r.startedAt ?? r.createdAt)}
        marksLabel="Baseline"
        marks={baselines.map((r) => ({
          at: r.startedAt ?? r.createdAt,
          label: `baseline${r.envId !== null ? ` (${r.envId})` : ""}`,
        }))}
        series={[
          ...percentileSeries(runs),
          { label: "RPS", color: COLORS.rps, values: runs.map((r) => r.requestsPerSec), unit: "req/s", axis: "right" },
        ]}
      />
      {last !== undefined && (
        <p class="muted">
          Latest: p95 {ms(last.p95ResponseMs)} · {perSecond(last.requestsPerSec)} · errors{" "}
          {percent(last.errorRatePercent)}
          {baselines.map((b) => (
            <span key={b.runId} data-testid="trend-baseline">
              {" "}
              · baseline{b.envId !== null ? ` in ${b.envId}` : ""}: <a href={`#/runs/${b.runId}`}>{b.name}</a>, p95{" "}
              {ms(b.p95ResponseMs)}
            </span>
          ))}
        </p>
      )}
    </>
  );
}

/** Edit, clone, and delete (asked first; refused with the API's reason while a run is active). */
function TestActions({ client, test }: { client: LoadManagerClient; test: LoadTest }) {
  const [confirming, setConfirming] = useState(false);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);
  const confirmButton = useRef<HTMLButtonElement>(null);
  useLayoutEffect(() => {
    if (confirming) confirmButton.current?.focus();
  }, [confirming]);

  async function remove() {
    setBusy(true);
    try {
      await client.loadTests.delete.mutate({ id: test.id });
      location.hash = "#/";
    } catch (error) {
      setProblem(problemOf(error));
      setConfirming(false);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="test-actions">
      <div class="actions">
        <a class="button secondary" href={`#/tests/${test.id}/edit`}>
          Edit definition
        </a>
        <a class="button secondary" href={`#/tests/new?from=${test.id}`}>
          Clone
        </a>
        {!confirming ? (
          <button type="button" class="danger" onClick={() => setConfirming(true)}>
            Delete
          </button>
        ) : (
          <span class="confirm" role="group" aria-label="Delete this test?">
            <span>Delete it with its {count(test.runCount)} runs and their metrics?</span>
            <button ref={confirmButton} type="button" class="danger" disabled={busy} onClick={() => void remove()}>
              Yes, delete it
            </button>
            <button type="button" class="secondary" onClick={() => setConfirming(false)}>
              Keep it
            </button>
          </span>
        )}
      </div>
      {problem !== null && (
        <p class="form-error" role="alert">
          Not deleted: {problem.message}
        </p>
      )}
    </div>
  );
}

/** One test: its definition, script and revisions, runs, trend, and the form that starts a run. */
export function TestDetail({ client, testId }: { client: LoadManagerClient; testId: string }) {
  const [test, setTest] = useState<LoadTest | null>(null);
  const [revisions, setRevisions] = useState<ScriptRevision[]>([]);
  const [runs, setRuns] = useState<LoadTestRun[]>([]);
  const [trend, setTrend] = useState<Trend | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  usePageTitle(test?.name);

  const load = useCallback(() => {
    Promise.all([
      client.loadTests.get.query({ id: testId }),
      client.scripts.revisions.query({ id: testId, limit: 200 }),
      client.runs.listForTest.query({ id: testId, limit: 20 }),
      client.analytics.trend.query({ id: testId, limit: 30 }),
    ])
      .then(([t, revs, page, tr]) => {
        setTest(t);
        setRevisions(revs.items);
        setRuns(page.items);
        setTrend(tr);
        setProblem(null);
      })
      .catch((error: unknown) => setProblem(problemOf(error)));
  }, [client, testId]);
  useEffect(load, [load]);

  // Its runs' status changes arrive live.
  useEffect(() => {
    const subscription = client.runs.onStatus.subscribe(
      { loadTestId: testId },
      {
        onData: (changed) =>
          setRuns((rs) =>
            rs.some((r) => r.id === changed.id) ? rs.map((r) => (r.id === changed.id ? changed : r)) : [changed, ...rs],
          ),
      },
    );
    return () => subscription.unsubscribe();
  }, [client, testId]);

  if (problem !== null) return <ErrorBox problem={problem} retry={load} />;
  if (test === null || trend === null) return <Loading what="the test" />;

  return (
    <div class="test-detail">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href="#/">Load tests</a> / {test.accountId}/{test.orgId}/{test.projectId}
            {test.envId !== null ? ` · ${test.envId}` : ""}
          </p>
          <h1>{test.name}</h1>
          {test.description !== "" && <p class="muted">{test.description}</p>}
        </div>
        <TestActions client={client} test={test} />
      </div>

      {/* The Run form and the definition beside the runs at laptop width; first, above them, when narrower. */}
      <div class="test-layout">
        <aside class="test-side" aria-label="Run and definition">
          <RunForm client={client} test={test} />
          <FoldingPanel id="definition-title" title="Definition">
            <dl class="facts">
              <dt>Target</dt>
              <dd class="mono">{test.targetUrl}</dd>
              <dt>Defaults</dt>
              <dd>
                {count(test.defaultUsers)} users · {test.defaultSpawnRate}/s spawn · {duration(test.defaultDurationSec)}
              </dd>
              {test.defaultStages !== null && (
                <>
                  <dt>Stages</dt>
                  <dd data-fact="stages">{stagesText(test.defaultStages)}</dd>
                </>
              )}
              <dt>Files</dt>
              <dd data-fact="files">
                {(revisions.find((r) => r.id === test.latestRevisionId)?.files.length ?? 0) + 1} (the locustfile and{" "}
                {revisions.find((r) => r.id === test.latestRevisionId)?.files.length ?? 0} more)
              </dd>
              <dt>Parameters</dt>
              <dd data-fact="env">
                {Object.keys(test.env).length === 0 ? "—" : paramsText(test.env).replaceAll("\n", " · ")}
              </dd>
              <dt>Secrets</dt>
              <dd data-fact="secrets">{test.secrets.length === 0 ? "—" : test.secrets.join(", ")}</dd>
              <dt>Max duration</dt>
              <dd>{duration(test.maxDurationSec)}</dd>
              <dt>Runs on</dt>
              <dd data-fact="runsOn">
                {test.agentPool === null ? "the server's host" : `agent pool ${test.agentPool}`}
              </dd>
              <dt>Other hosts</dt>
              <dd data-fact="allowedHosts">{test.allowedHosts.length === 0 ? "—" : test.allowedHosts.join(", ")}</dd>
              <dt>Auto-stop</dt>
              <dd data-fact="autoStop">
                {test.autoStop === null
                  ? "off"
                  : `above ${test.autoStop.errorRatePercent} % errors over ${test.autoStop.windowSec} s`}
              </dd>
              <dt>Thresholds</dt>
              <dd data-fact="thresholds">
                {test.thresholds.length === 0 ? "—" : thresholdsText(test.thresholds).split("\n").join(", ")}
              </dd>
              <dt>Tags</dt>
              <dd>{test.tags.length === 0 ? "—" : test.tags.join(", ")}</dd>
              <dt>Updated</dt>
              <dd>
                {when(test.updatedAt)} by {test.updatedBy}
              </dd>
            </dl>
          </FoldingPanel>
        </aside>
        <div class="test-main">
          <section class="panel" aria-labelledby="runs-title">
            <h2 id="runs-title">Runs</h2>
            <RecentRuns runs={runs} />
          </section>
          <section class="panel" aria-labelledby="trend-title">
            <h2 id="trend-title">Trend</h2>
            <TrendChart trend={trend} />
          </section>
          <SchedulesPanel client={client} test={test} />
          <ProjectPanel client={client} test={test} revisions={revisions} onSaved={load} />
          <Revisions client={client} testId={test.id} revisions={revisions} />
        </div>
      </div>
    </div>
  );
}
