import { useEffect, useState } from "preact/hooks";
import {
  compareRuns,
  DEFAULT_REGRESSION_RULE,
  regressionsOf,
  runDifferences,
  type Change,
} from "../../../shared/src/compare.js";
import type { Graph, LoadManagerClient, LoadTest, LoadTestRun, RequestStats } from "../../../client/src/index.js";
import { TimeChart, type Series } from "../Chart.js";
import { change, ms, percent, perSecond, when } from "../format.js";
import { problemOf, type Problem } from "../session.js";
import { Empty, ErrorBox, Loading, RunBadge, usePageTitle } from "../ui.js";

function Delta({
  value,
  show,
  regressed = false,
}: {
  value: Change;
  show: (n: number) => string;
  regressed?: boolean;
}) {
  return (
    <td class={`num${regressed ? " cell-regressed" : ""}`} data-regressed={regressed ? "true" : undefined}>
      <span class="nowrap">
        {value.before === null ? "—" : show(value.before)} → {value.after === null ? "—" : show(value.after)}
      </span>{" "}
      <span class="delta nowrap">
        {regressed && <span aria-hidden="true">▲ </span>}
        {change(value.before, value.after)}
        {regressed && <span class="visually-hidden"> (regressed)</span>}
      </span>
    </td>
  );
}

const A_COLOR = "#4f7cff";
const B_COLOR = "#e0712c";

/** Both runs' points on one x axis of seconds since each run's first point (gaps where one has none). */
function overlay(a: Graph, b: Graph, figure: "p95ResponseMs" | "requestsPerSec", labels: [string, string]) {
  const since = (g: Graph) => {
    const start = g.points[0]?.timestamp ?? 0;
    return new Map(g.points.map((p) => [Math.round((p.timestamp - start) / 1000), p[figure]]));
  };
  const [x, y] = [since(a), since(b)];
  const times = [...new Set([...x.keys(), ...y.keys()])].sort((p, q) => p - q);
  const unit = figure === "p95ResponseMs" ? "ms" : "req/s";
  const series: Series[] = [
    { label: labels[0], color: A_COLOR, values: times.map((t) => x.get(t) ?? null), unit },
    { label: labels[1], color: B_COLOR, values: times.map((t) => y.get(t) ?? null), unit },
  ];
  return { times, series };
}

interface Compared {
  runs: [LoadTestRun, LoadTestRun];
  tests: [LoadTest | null, LoadTest | null];
  stats: [RequestStats, RequestStats];
  graphs: [Graph, Graph];
}

/**
 * Two runs: their response times and throughput overlaid, and per endpoint requests/s, error rate and
 * percentiles, the cells that regressed marked; a warning when the runs were set up differently.
 */
export function ComparePage({ client, a, b }: { client: LoadManagerClient; a: string; b: string }) {
  const [data, setData] = useState<Compared | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  usePageTitle(data === null ? "Compare runs" : `Compare ${data.runs[0].name} and ${data.runs[1].name}`);
  useEffect(() => {
    if (a === "" || b === "") return;
    setData(null);
    const test = (id: string) => client.loadTests.get.query({ id }).catch(() => null); // it may be gone
    Promise.all([client.runs.get.query({ id: a }), client.runs.get.query({ id: b })])
      .then(async ([ra, rb]) => {
        const [ta, tb, sa, sb, ga, gb] = await Promise.all([
          test(ra.loadTestId),
          test(rb.loadTestId),
          client.analytics.requests.query({ id: a }),
          client.analytics.requests.query({ id: b }),
          client.analytics.graph.query({ id: a, maxPoints: 300 }),
          client.analytics.graph.query({ id: b, maxPoints: 300 }),
        ]);
        setData({ runs: [ra, rb], tests: [ta, tb], stats: [sa, sb], graphs: [ga, gb] });
      })
      .catch((error: unknown) => setProblem(problemOf(error)));
  }, [client, a, b]);

  if (a === "" || b === "") return <Empty title="Pick two runs">Tick two runs on a test's page to compare them.</Empty>;
  if (problem !== null) return <ErrorBox problem={problem} />;
  if (data === null) return <Loading what="the two runs" />;
  // B judged against A by B's test's rule, counted as its verdict counts them (one row per figure that regressed).
  const rule = data.tests[1]?.regressionRule ?? DEFAULT_REGRESSION_RULE;
  const rows = compareRuns(data.stats[0], data.stats[1], rule);
  const regressions = regressionsOf(data.stats[0], data.stats[1], rule).length;
  const differences = runDifferences(data.runs[0], data.runs[1]);
  const [ta, tb] = data.tests;
  const labels: [string, string] = [`A ${data.runs[0].name}`, `B ${data.runs[1].name}`];
  const latency = overlay(data.graphs[0], data.graphs[1], "p95ResponseMs", labels);
  const throughput = overlay(data.graphs[0], data.graphs[1], "requestsPerSec", labels);
  return (
    <section aria-labelledby="compare-title" class="compare-page">
      <div class="page-head">
        <div>
          <p class="crumbs">
            {ta !== null && <a href={`#/tests/${ta.id}`}>{ta.name}</a>}
            {tb !== null && tb.id !== ta?.id && (
              <>
                {" · "}
                <a href={`#/tests/${tb.id}`}>{tb.name}</a>
              </>
            )}{" "}
            / compare
          </p>
          <h1 id="compare-title">Compare runs</h1>
        </div>
        <a class="button secondary" href={`#/compare?a=${b}&b=${a}`}>
          ⇄ Swap A and B
        </a>
      </div>
      <div class="columns">
        {data.runs.map((run, i) => (
          <div class="panel" key={run.id} data-side={i === 0 ? "A" : "B"}>
            <span class="card-label">{i === 0 ? "A (before)" : "B (after)"}</span>
            <h2>
              <a href={`#/runs/${run.id}`}>{run.name}</a>
            </h2>
            <p class="muted">
              <RunBadge run={run} /> {run.targetUsers} users · {run.durationSec} s · {when(run.startedAt)}
            </p>
          </div>
        ))}
      </div>
      {differences.length > 0 && (
        <div class="notice compare-differences" role="note">
          <strong>These runs were not set up alike</strong>: {differences.join("; ")}. Differences in the results may
          come from that.
        </div>
      )}
      <div class="columns charts">
        <section class="panel">
          <TimeChart title="p95 response time, A and B" times={latency.times} series={latency.series} elapsed />
        </section>
        <section class="panel">
          <TimeChart title="Requests/s, A and B" times={throughput.times} series={throughput.series} elapsed />
        </section>
      </div>
      <p class={regressions > 0 ? "fail" : "pass"} role="status">
        {regressions > 0
          ? `${regressions} regression${regressions === 1 ? "" : "s"}: p95 or p99 more than 10 % slower, or an error rate up a point or more`
          : "No regressions"}
      </p>
      <div class="table-wrap">
        <table class="compare">
          <thead>
            <tr>
              <th scope="col">Endpoint</th>
              <th scope="col">RPS</th>
              <th scope="col">Error rate</th>
              <th scope="col">p50</th>
              <th scope="col">p95</th>
              <th scope="col">p99</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.endpoint} class={row.regression ? "row-failed" : undefined}>
                <td class="mono">{row.endpoint}</td>
                <Delta value={row.rps} show={perSecond} />
                <Delta value={row.error_rate} show={percent} regressed={row.regressed.error_rate} />
                <Delta value={row.p50} show={ms} />
                <Delta value={row.p95} show={ms} regressed={row.regressed.p95} />
                <Delta value={row.p99} show={ms} regressed={row.regressed.p99} />
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
