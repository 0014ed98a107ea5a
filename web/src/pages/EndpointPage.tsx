import { useEffect, useState } from "preact/hooks";
import type { Aggregate, Graph, LoadManagerClient, LoadTestRun, Scatter } from "../../../client/src/index.js";
import { percentilesOf } from "../../../shared/src/histogram.js";
import { COLORS, percentileSeries, TimeChart } from "../Chart.js";
import { count, ms, percent, perSecond } from "../format.js";
import { problemOf, type Problem } from "../session.js";
import { Card, Empty, ErrorBox, Loading, usePageTitle } from "../ui.js";

/** The address of an endpoint name's page of a run (the run page's endpoint table links to it). */
export const endpointHref = (runId: string, name: string): string =>
  `#/runs/${runId}/endpoint?name=${encodeURIComponent(name)}`;

/** The percents Locust's own response-time table shows. */
const PERCENTS = [0.5, 0.66, 0.75, 0.8, 0.9, 0.95, 0.98, 0.99, 0.999, 0.9999, 1] as const;

const percentLabel = (p: number) => `${Number((p * 100).toFixed(2))} %`;

interface Loaded {
  run: LoadTestRun;
  aggregate: Aggregate;
  graph: Graph;
  scatter: Scatter;
}

/**
 * One endpoint name of a run, as a performance engineer reads it after the run: its figures, its
 * percentiles over time, and how its response times are distributed (Locust's buckets), with the
 * percent of requests at or under each time.
 */
export function EndpointPage({ client, runId, name }: { client: LoadManagerClient; runId: string; name: string }) {
  const [loaded, setLoaded] = useState<Loaded | null>(null);
  const [problem, setProblem] = useState<Problem | null>(null);
  usePageTitle(name);

  useEffect(() => {
    let live = true;
    setLoaded(null);
    setProblem(null);
    Promise.all([
      client.runs.get.query({ id: runId }),
      client.analytics.aggregate.query({ id: runId, name }),
      client.analytics.graph.query({ id: runId, name, maxPoints: 500 }),
      client.analytics.scatter.query({ id: runId, name, maxColumns: 1 }),
    ])
      .then(([run, aggregate, graph, scatter]) => live && setLoaded({ run, aggregate, graph, scatter }))
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
  }, [client, runId, name]);

  if (problem !== null) return <ErrorBox problem={problem} />;
  if (loaded === null) return <Loading what="the endpoint" />;
  const { run, aggregate, graph, scatter } = loaded;
  const total = aggregate.total;
  const methods = aggregate.endpoints.map((e) => e.method).join(", ");
  const times = graph.points.map((p) => p.timestamp);

  return (
    <div class="endpoint-page">
      <div class="page-head">
        <div>
          <p class="crumbs">
            <a href={`#/runs/${run.id}`}>{run.name}</a> / endpoint
          </p>
          <h1>{name}</h1>
          <p class="muted">
            {methods === "" ? "no requests" : methods} · {count(total.numRequests)} requests, {count(total.numFailures)}{" "}
            failed
            {run.finishedAt === null && " · so far (the run is still going)"}
          </p>
        </div>
      </div>
      {total.numRequests === 0 ? (
        <section class="panel">
          <Empty title="No requests of this name in this run" />
        </section>
      ) : (
        <>
          <div class="cards">
            <Card label="Requests/s" value={perSecond(total.requestsPerSec)} hint="whole-run average" />
            <Card
              label="Error rate"
              value={percent((total.numFailures / total.numRequests) * 100)}
              tone={total.numFailures > 0 ? "bad" : undefined}
            />
            <Card label="Median" value={ms(total.p50ResponseMs)} hint={`average ${ms(total.avgResponseMs)}`} />
            <Card
              label="p95"
              value={ms(total.p95ResponseMs)}
              hint={`p99 ${ms(total.p99ResponseMs)} · max ${ms(total.maxResponseMs)}`}
            />
          </div>
          <section class="panel" aria-labelledby="over-time-title" id="over-time">
            <h2 id="over-time-title">Percentiles over time</h2>
            <TimeChart
              title="Response times (p50, p95, p99) and requests/s"
              times={times}
              series={[
                ...percentileSeries(graph.points),
                {
                  label: "requests/s",
                  color: COLORS.rps,
                  values: graph.points.map((p) => p.requestsPerSec),
                  unit: "req/s",
                  axis: "right",
                },
              ]}
            />
            <p class="muted">
              {graph.intervalsPerPoint > 1
                ? `Each point merges ${graph.intervalsPerPoint} intervals (their histograms, so its percentiles are exact).`
                : "One point per interval."}{" "}
              A gap is an interval that timed no request of this name.
            </p>
          </section>
          <Distribution scatter={scatter} requests={total.numRequests} />
        </>
      )}
    </div>
  );
}

/** The response-time histogram as bars (one per Locust bucket, in order) and Locust's percentile table. */
function Distribution({ scatter, requests }: { scatter: Scatter; requests: number }) {
  const buckets = scatter.distribution;
  const pairs = buckets.map((b): [number, number] => [b.responseMs, b.count]);
  const at = percentilesOf(pairs, requests, Object.fromEntries(PERCENTS.map((p) => [String(p), p])));
  const most = Math.max(1, ...buckets.map((b) => b.count));
  const width = 600;
  const height = 160;
  const bar = width / Math.max(1, buckets.length);
  // A few labels under the bars: the first, the last and evenly between, never crowded.
  const labelEvery = Math.max(1, Math.ceil(buckets.length / 6));
  return (
    <section class="panel" aria-labelledby="distribution-title" id="distribution">
      <h2 id="distribution-title">Response time distribution</h2>
      {buckets.length === 0 ? (
        <Empty title="No response times" />
      ) : (
        <div class="columns">
          <figure class="distribution" aria-label="Requests per response time">
            <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label="Requests per response-time bucket">
              {buckets.map((b, i) => {
                const h = Math.max(1, (b.count / most) * height);
                return (
                  <rect key={b.responseMs} x={i * bar} y={height - h} width={Math.max(1, bar - 1)} height={h}>
                    <title>{`${ms(b.responseMs)}: ${count(b.count)} requests`}</title>
                  </rect>
                );
              })}
              {buckets.map((b, i) =>
                i % labelEvery === 0 || i === buckets.length - 1 ? (
                  <text
                    key={`label-${b.responseMs}`}
                    x={Math.min(width - 2, i * bar + bar / 2)}
                    y={height + 15}
                    text-anchor={i === buckets.length - 1 ? "end" : i === 0 ? "start" : "middle"}
                  >
                    {ms(b.responseMs)}
                  </text>
                ) : null,
              )}
            </svg>
            <figcaption class="muted">
              Requests per response time, in Locust's buckets (1 ms below 100 ms, 10 ms below 1 s, then 100 ms)
            </figcaption>
          </figure>
          <div class="table-wrap">
            <table class="percentiles">
              <thead>
                <tr>
                  <th scope="col">Requests</th>
                  <th scope="col">at or under</th>
                </tr>
              </thead>
              <tbody>
                {PERCENTS.map((p) => (
                  <tr key={p}>
                    <td>{percentLabel(p)}</td>
                    <td class="num">{ms(at[String(p)] ?? 0)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      )}
    </section>
  );
}
