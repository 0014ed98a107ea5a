import {
  aggregateSchema,
  graphInputSchema,
  graphSchema,
  requestStatsSchema,
  requestsInputSchema,
  runIdInputSchema,
  runSummarySchema,
  scatterInputSchema,
  scatterSchema,
  timeseriesInputSchema,
  timeseriesSchema,
  trendInputSchema,
  trendSchema,
  windowInputSchema,
} from "@loadmgr/shared";
import { authedProcedure, router } from "../../trpc.js";
import { graphHandler } from "./graph.handler.js";
import { summaryHandler } from "./summary.handler.js";
import { requestsHandler } from "./requests.handler.js";
import { timeseriesHandler } from "./timeseries.handler.js";
import { scatterHandler } from "./scatter.handler.js";
import { aggregateHandler } from "./aggregate.handler.js";
import { trendHandler } from "./trend.handler.js";

const TAGS = ["analytics"];

export const analyticsRouter = router({
  graph: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/graph",
        tags: TAGS,
        summary:
          "The main chart: users, requests/s, failures/s, average and percentiles over time (optionally one endpoint name's)",
      },
    })
    .input(graphInputSchema)
    .output(graphSchema)
    .query(({ ctx, input }) => graphHandler(ctx, input)),

  summary: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/summary",
        tags: TAGS,
        summary: "The run's cards: total requests, requests/s, error rate, response times, and its settings",
      },
    })
    .input(runIdInputSchema)
    .output(runSummarySchema)
    .query(({ ctx, input }) => summaryHandler(ctx, input)),

  requests: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/requests",
        tags: TAGS,
        summary: "Per endpoint (method, name): counts, requests/s, response times and failure messages",
      },
    })
    .input(requestsInputSchema)
    .output(requestStatsSchema)
    .query(({ ctx, input }) => requestsHandler(ctx, input)),

  timeseries: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/timeseries",
        tags: TAGS,
        summary: "Every interval's figures, unmerged (optionally one endpoint name's)",
      },
    })
    .input(timeseriesInputSchema)
    .output(timeseriesSchema)
    .query(({ ctx, input }) => timeseriesHandler(ctx, input)),

  scatter: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/scatter",
        tags: TAGS,
        summary: "Response-time distribution: the window's histogram, and per time column its buckets' counts",
      },
    })
    .input(scatterInputSchema)
    .output(scatterSchema)
    .query(({ ctx, input }) => scatterHandler(ctx, input)),

  aggregate: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/runs/{id}/metrics/aggregate",
        tags: TAGS,
        summary: "Whole-run or windowed totals per endpoint and overall, with percentiles from merged histograms",
      },
    })
    .input(windowInputSchema)
    .output(aggregateSchema)
    .query(({ ctx, input }) => aggregateHandler(ctx, input)),

  trend: authedProcedure
    .meta({
      openapi: {
        method: "GET",
        path: "/v1/load-tests/{id}/trend",
        tags: TAGS,
        summary: "Per run of the test (oldest first): revision, users, requests/s, error rate, percentiles",
      },
    })
    .input(trendInputSchema)
    .output(trendSchema)
    .query(({ ctx, input }) => trendHandler(ctx, input)),
});
