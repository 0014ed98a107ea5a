import { useEffect, useMemo, useRef, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest, LoadTestRun, RunOutcome, RunStatus } from "../../../client/src/index.js";
import { RUN_OUTCOMES } from "../../../shared/src/runOutcome.js";
import { RUN_STATUSES } from "../../../shared/src/runStatus.js";
import { count, duration, ms, percent, perSecond, when } from "../format.js";
import { problemOf, scopeFilter, type Problem, type Scope } from "../session.js";
import { Empty, ErrorBox, Loading, BaselineBadge, RunBadge, usePageTitle, Verdict } from "../ui.js";

const PAGE_SIZE = 50;
/** The time filter's choices: how far back, in hours (0: any time). */
const SINCE: [string, number][] = [
  ["Any time", 0],
  ["Last hour", 1],
  ["Last 24 hours", 24],
  ["Last 7 days", 24 * 7],
  ["Last 30 days", 24 * 30],
];

/** The filters a link to this page carries: #/runs?status=Running&outcome=no-success&test=<id>&env=prod&tag=team-a&since=24. */
interface Filters {
  status: string;
  outcome: string;
  test: string;
  env: string;
  tag: string;
  since: string;
}
const FILTER_KEYS = ["status", "outcome", "test", "env", "tag", "since"] as const;

const filtersOf = (query: URLSearchParams): Filters =>
  Object.fromEntries(FILTER_KEYS.map((key) => [key, query.get(key) ?? ""])) as unknown as Filters;

function go(filters: Filters): void {
  const query = new URLSearchParams(Object.entries(filters).filter(([, value]) => value !== ""));
  location.hash = `#/runs${query.size > 0 ? `?${query.toString()}` : ""}`;
}

/** How long a run ran (or has run so far); null before it started. */
function ranFor(run: LoadTestRun): number | null {
  if (run.startedAt === null) return null;
  return ((run.finishedAt ?? run.lastMetrics?.timestamp ?? run.startedAt) - run.startedAt) / 1000;
}

/** Every run in scope across tests, newest first: filterable, paged, statuses moving live. */
export function RunsPage({
  client,
  scope,
  query,
}: {
  client: LoadManagerClient;
  scope: Scope;
  query: URLSearchParams;
}) {
  const filters = filtersOf(query);
  const [tests, setTests] = useState<LoadTest[]>([]);
  const [runs, setRuns] = useState<LoadTestRun[] | null>(null);
  const [next, setNext] = useState<string | undefined>();
  // The cursors of the pages before this one ("Newer" goes back one), for the filters they were
  // paged under: other filters, or another scope, start again from the newest page.
  const [paging, setPaging] = useState<{ key: string; cursors: (string | undefined)[] }>({ key: "", cursors: [] });
  const [problem, setProblem] = useState<Problem | null>(null);
  const [reload, setReload] = useState(0);
  /** The ids of the rows shown, for the live updates: a run not among them is new. */
  const shown = useRef(new Set<string>());
  shown.current = new Set((runs ?? []).map((r) => r.id));
  usePageTitle("Runs");
  const filterKey = [...FILTER_KEYS.map((key) => filters[key]), JSON.stringify(scope)].join("\u0000");
  const cursors = paging.key === filterKey ? paging.cursors : [];
  const setCursors = (change: (c: (string | undefined)[]) => (string | undefined)[]) =>
    setPaging({ key: filterKey, cursors: change(cursors) });
  const cursor = cursors.at(-1);

  useEffect(() => {
    let live = true;
    client.loadTests.list
      .query({ ...scopeFilter(scope), limit: 200 })
      .then((page) => live && setTests(page.items))
      .catch(() => undefined); // the runs still show, with ids for names
    return () => {
      live = false;
    };
  }, [client, scope]);

  useEffect(() => {
    let live = true;
    const hours = Number(filters.since);
    client.runs.list
      .query({
        ...scopeFilter(scope),
        ...(filters.env !== "" ? { envId: filters.env } : {}),
        ...(filters.status !== "" ? { status: filters.status as RunStatus } : {}),
        ...(filters.outcome !== "" ? { outcome: filters.outcome as RunOutcome } : {}),
        ...(filters.test !== "" ? { loadTestId: filters.test } : {}),
        ...(filters.tag !== "" ? { tag: filters.tag } : {}),
        ...(hours > 0 ? { createdFrom: Date.now() - hours * 3_600_000 } : {}),
        limit: PAGE_SIZE,
        ...(cursor !== undefined ? { cursor } : {}),
      })
      .then((page) => {
        if (!live) return;
        setRuns(page.items);
        setNext(page.nextCursor);
        setProblem(null);
      })
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
    // filterKey stands for the filters and the scope.
  }, [client, scope, filterKey, cursor, reload]);

  // Statuses move in place; a new run shows on the newest page.
  useEffect(() => {
    const { envId: _env, ...filter } = scopeFilter(scope);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = client.runs.onStatus.subscribe(filter, {
      onData: (changed) => {
        const known = shown.current.has(changed.id);
        setRuns((rows) => rows?.map((r) => (r.id === changed.id ? changed : r)) ?? rows);
        if (!known && cursor === undefined) {
          clearTimeout(timer);
          timer = setTimeout(() => setReload((n) => n + 1), 300);
        }
      },
    });
    return () => {
      clearTimeout(timer);
      subscription.unsubscribe();
    };
  }, [client, scope, cursor]);

  const testsById = useMemo(() => new Map(tests.map((t) => [t.id, t])), [tests]);
  const tags = useMemo(() => [...new Set(tests.flatMap((t) => t.tags))].sort(), [tests]);
  const envs = useMemo(() => [...new Set(tests.flatMap((t) => (t.envId !== null ? [t.envId] : [])))].sort(), [tests]);
  const set = (key: keyof Filters, value: string) => go({ ...filters, [key]: value });
  const filtered = FILTER_KEYS.some((key) => filters[key] !== "");

  const select = (key: keyof Filters, label: string, options: [string, string][]) => (
    <label class="filter">
      <span class="filter-label">{label}</span>
      <select name={key} value={filters[key]} onChange={(e) => set(key, e.currentTarget.value)}>
        {options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </label>
  );

  return (
    <section aria-labelledby="runs-title">
      <div class="page-head">
        <h1 id="runs-title">Runs</h1>
      </div>
      <div class="toolbar filters" role="group" aria-label="Filters">
        {select("status", "Status", [["", "Any status"], ...RUN_STATUSES.map((s): [string, string] => [s, s])])}
        {select("outcome", "Outcome", [["", "Any outcome"], ...RUN_OUTCOMES.map((o): [string, string] => [o, o])])}
        {select("test", "Test", [["", "All tests"], ...tests.map((t): [string, string] => [t.id, t.name])])}
        {select("env", "Env", [["", "Any env"], ...envs.map((e): [string, string] => [e, e])])}
        {select("tag", "Tag", [["", "Any tag"], ...tags.map((t): [string, string] => [t, t])])}
        {select(
          "since",
          "Created",
          SINCE.map(([text, hours]): [string, string] => [hours === 0 ? "" : String(hours), text]),
        )}
      </div>
      {problem !== null ? (
        <ErrorBox problem={problem} retry={() => setReload((n) => n + 1)} />
      ) : runs === null ? (
        <Loading what="runs" />
      ) : runs.length === 0 ? (
        filtered ? (
          <Empty title="No runs match these filters">
            <a href="#/runs">Show every run</a>
          </Empty>
        ) : (
          <Empty title="No runs in this scope yet">
            Start one from a <a href="#/">load test</a>.
          </Empty>
        )
      ) : (
        <>
          <div class="table-wrap">
            <table class="all-runs">
              <thead>
                <tr>
                  <th scope="col">Run</th>
                  <th scope="col">Status</th>
                  <th scope="col" class="wide-only">
                    Started by
                  </th>
                  <th scope="col">Created</th>
                  <th scope="col" class="num">
                    Duration
                  </th>
                  <th scope="col" class="num">
                    Users
                  </th>
                  <th scope="col" class="num">
                    Req/s
                  </th>
                  <th scope="col" class="num">
                    Errors
                  </th>
                  <th scope="col" class="num">
                    p95
                  </th>
                  <th scope="col">Outcome</th>
                </tr>
              </thead>
              <tbody>
                {runs.map((r) => {
                  const test = testsById.get(r.loadTestId);
                  const seconds = ranFor(r);
                  const m = r.lastMetrics;
                  // Whole-run figures once it ended; the newest interval's while it runs.
                  const rps = r.results?.requestsPerSec ?? m?.requestsPerSec;
                  const errors =
                    r.results?.errorRatePercent ??
                    (m !== null && m.requestsPerSec > 0 ? (100 * m.failuresPerSec) / m.requestsPerSec : undefined);
                  return (
                    <tr key={r.id} data-run-id={r.id} data-status={r.status}>
                      <td>
                        <a href={`#/runs/${r.id}`}>{r.name}</a>
                        <div class="muted small">
                          <a class="muted" href={`#/tests/${r.loadTestId}`}>
                            {test?.name ?? r.loadTestId}
                          </a>
                          {r.envId !== null ? ` · ${r.envId}` : ""}
                        </div>
                      </td>
                      <td>
                        <RunBadge run={r} /> <BaselineBadge run={r} />
                      </td>
                      <td class="wide-only">{r.createdBy}</td>
                      <td class="muted nowrap">{when(r.createdAt)}</td>
                      <td class="num">{seconds === null ? "—" : duration(seconds)}</td>
                      <td class="num">{count(r.targetUsers)}</td>
                      <td class="num">{rps === undefined ? "—" : perSecond(rps)}</td>
                      <td class={`num${errors !== undefined && errors > 0 ? " fail" : ""}`} data-cell="errors">
                        {errors === undefined ? "—" : percent(errors)}
                      </td>
                      <td class="num">{r.results === null ? "—" : ms(r.results.p95ResponseMs)}</td>
                      <td>
                        <Verdict run={r} />
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
          <nav class="pager" aria-label="Pages">
            <button
              type="button"
              class="secondary"
              disabled={cursors.length === 0}
              onClick={() => setCursors((c) => c.slice(0, -1))}
            >
              ← Newer
            </button>
            <span class="muted">
              Runs {cursors.length * PAGE_SIZE + 1}–{cursors.length * PAGE_SIZE + runs.length}
            </span>
            <button
              type="button"
              class="secondary"
              disabled={next === undefined}
              onClick={() => setCursors((c) => [...c, next])}
            >
              Older →
            </button>
          </nav>
        </>
      )}
    </section>
  );
}
