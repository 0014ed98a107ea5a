import { useEffect, useMemo, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest } from "../../../client/src/index.js";
import { ms, when } from "../format.js";
import { problemOf, scopeFilter, type Problem, type Scope } from "../session.js";
import { Empty, ErrorBox, Loading, RunBadge, Sparkline, StatusBadge, usePageTitle, Verdict } from "../ui.js";

const SPARK_RUNS = 10;

/** The test's newest run: its status, when, its verdict and p95. */
function LastRun({ test }: { test: LoadTest }) {
  const run = test.recentRuns[0];
  if (run === undefined) return <StatusBadge status={null} />;
  return (
    <>
      <a href={`#/runs/${run.id}`} aria-label={`Last run: ${run.name}`}>
        <RunBadge run={run} />
      </a>
      <div class="muted small">{when(run.createdAt)}</div>
      {(run.outcome != null || run.results !== null) && (
        <div class="small">
          <Verdict run={run} />
          {run.results !== null && <span class="muted"> · p95 {ms(run.results.p95ResponseMs)}</span>}
        </div>
      )}
    </>
  );
}

/** The load tests in scope: searchable, filterable by tag, each with its last run and recent p95. */
export function TestList({ client, scope }: { client: LoadManagerClient; scope: Scope }) {
  const [tests, setTests] = useState<LoadTest[] | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  const [p95s, setP95s] = useState<Record<string, number[]>>({});
  const [search, setSearch] = useState("");
  const [tag, setTag] = useState("");
  const [reload, setReload] = useState(0);
  usePageTitle("Load tests");

  useEffect(() => {
    let live = true;
    client.loadTests.list
      .query({ ...scopeFilter(scope), limit: 200 })
      .then(async (page) => {
        if (!live) return;
        setTests(page.items);
        setProblem(null);
        // Batched into one request by the client's HTTP link.
        const trends = await Promise.all(
          page.items.map((t) => client.analytics.trend.query({ id: t.id, limit: SPARK_RUNS })),
        );
        if (live) setP95s(Object.fromEntries(trends.map((t) => [t.loadTestId, t.runs.map((r) => r.p95ResponseMs)])));
      })
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
  }, [client, scope, reload]);

  // Runs starting and ending anywhere in scope move the list's statuses, live.
  useEffect(() => {
    const { envId: _env, ...filter } = scopeFilter(scope);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const subscription = client.runs.onStatus.subscribe(filter, {
      onData: () => {
        clearTimeout(timer);
        timer = setTimeout(() => setReload((n) => n + 1), 300);
      },
    });
    return () => {
      clearTimeout(timer);
      subscription.unsubscribe();
    };
  }, [client, scope]);

  const tags = useMemo(() => [...new Set((tests ?? []).flatMap((t) => t.tags))].sort(), [tests]);
  const shown = useMemo(() => {
    const needle = search.trim().toLowerCase();
    return (tests ?? []).filter(
      (t) =>
        (tag === "" || t.tags.includes(tag)) &&
        (needle === "" ||
          [t.name, t.description, t.targetUrl, ...t.tags].some((text) => text.toLowerCase().includes(needle))),
    );
  }, [tests, search, tag]);

  return (
    <section aria-labelledby="tests-title">
      <div class="page-head">
        <h1 id="tests-title">Load tests</h1>
        <a class="button" href="#/tests/new">
          New test
        </a>
      </div>
      <div class="toolbar">
        <label class="search">
          <span class="visually-hidden">Search</span>
          <input
            type="search"
            name="search"
            placeholder="Search name, target, tag…"
            value={search}
            onInput={(e) => setSearch(e.currentTarget.value)}
          />
        </label>
        <label>
          <span class="visually-hidden">Tag</span>
          <select name="tag" value={tag} onChange={(e) => setTag(e.currentTarget.value)}>
            <option value="">All tags</option>
            {tags.map((t) => (
              <option key={t} value={t}>
                {t}
              </option>
            ))}
          </select>
        </label>
      </div>
      {problem !== null ? (
        <ErrorBox problem={problem} retry={() => setReload((n) => n + 1)} />
      ) : tests === null ? (
        <Loading what="load tests" />
      ) : tests.length === 0 ? (
        <Empty title="No load tests in this scope yet">
          <a href="#/tests/new">Create the first one</a> from a locustfile.
        </Empty>
      ) : shown.length === 0 ? (
        <Empty title="Nothing matches">Try another search or tag.</Empty>
      ) : (
        <div class="table-wrap">
          <table class="tests">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Scope</th>
                <th scope="col">Target</th>
                <th scope="col">Last run</th>
                <th scope="col">p95, last {SPARK_RUNS} runs</th>
                <th scope="col">Updated</th>
              </tr>
            </thead>
            <tbody>
              {shown.map((t) => (
                <tr key={t.id} data-test-id={t.id}>
                  <td>
                    <a href={`#/tests/${t.id}`}>{t.name}</a>
                    <div class="tags">
                      {t.tags.map((x) => (
                        <span key={x} class="tag">
                          {x}
                        </span>
                      ))}
                    </div>
                  </td>
                  <td class="muted">
                    {t.accountId}/{t.orgId}/{t.projectId}
                    {t.envId !== null ? ` · ${t.envId}` : ""}
                  </td>
                  <td class="mono">{t.targetUrl}</td>
                  <td class="last-run">
                    <LastRun test={t} />
                  </td>
                  <td>
                    <Sparkline values={p95s[t.id] ?? []} label={`p95 of the last runs of ${t.name}`} />
                  </td>
                  <td class="muted">{when(t.updatedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
