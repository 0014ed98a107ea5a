import { useEffect, useState } from "preact/hooks";
import { compareRuns, type Change } from "../../../shared/src/compare.js";
import type { LoadManagerClient, LoadTestRun, RequestStats } from "../../../client/src/index.js";
import { change, ms, percent, perSecond, when } from "../format.js";
import { problemOf, type Problem } from "../session.js";
import { Empty, ErrorBox, Loading, StatusBadge, usePageTitle } from "../ui.js";

function Delta({ value, show }: { value: Change; show: (n: number) => string }) {
  return (
    <td class="num">
      {value.before === null ? "—" : show(value.before)} → {value.after === null ? "—" : show(value.after)}
      <span class="delta"> {change(value.before, value.after)}</span>
    </td>
  );
}

/** Two runs side by side, per endpoint: requests/s, error rate and percentiles, regressions marked. */
export function ComparePage({ client, a, b }: { client: LoadManagerClient; a: string; b: string }) {
  const [data, setData] = useState<{ runs: [LoadTestRun, LoadTestRun]; stats: [RequestStats, RequestStats] } | null>(
    null,
  );
  const [problem, setProblem] = useState<Problem | null>(null);
  usePageTitle(data === null ? "Compare runs" : `Compare ${data.runs[0].name} and ${data.runs[1].name}`);
  useEffect(() => {
    Promise.all([
      client.runs.get.query({ id: a }),
      client.runs.get.query({ id: b }),
      client.analytics.requests.query({ id: a }),
      client.analytics.requests.query({ id: b }),
    ])
      .then(([ra, rb, sa, sb]) => setData({ runs: [ra, rb], stats: [sa, sb] }))
      .catch((error: unknown) => setProblem(problemOf(error)));
  }, [client, a, b]);

  if (a === "" || b === "") return <Empty title="Pick two runs">Tick two runs on a test's page to compare them.</Empty>;
  if (problem !== null) return <ErrorBox problem={problem} />;
  if (data === null) return <Loading what="the two runs" />;
  const rows = compareRuns(data.stats[0], data.stats[1]);
  const regressions = rows.filter((r) => r.regression).length;
  return (
    <section aria-labelledby="compare-title">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href={`#/tests/${data.runs[1].loadTestId}`}>Test</a> / compare
          </p>
          <h1 id="compare-title">Compare runs</h1>
        </div>
      </div>
      <div class="columns">
        {data.runs.map((run, i) => (
          <div class="panel" key={run.id}>
            <span class="card-label">{i === 0 ? "A (before)" : "B (after)"}</span>
            <h2>
              <a href={`#/runs/${run.id}`}>{run.name}</a>
            </h2>
            <p class="muted">
              <StatusBadge status={run.status} /> {run.targetUsers} users · {when(run.startedAt)}
            </p>
          </div>
        ))}
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
              <th scope="col">
                <span class="visually-hidden">Regression</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row) => (
              <tr key={row.endpoint} class={row.regression ? "row-failed" : undefined}>
                <td class="mono">{row.endpoint}</td>
                <Delta value={row.rps} show={perSecond} />
                <Delta value={row.errorRate} show={percent} />
                <Delta value={row.p50} show={ms} />
                <Delta value={row.p95} show={ms} />
                <Delta value={row.p99} show={ms} />
                <td>{row.regression ? <span class="fail">▲ regression</span> : ""}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
