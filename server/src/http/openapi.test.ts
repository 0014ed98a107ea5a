import assert from "node:assert/strict";
import { it } from "node:test";
import { buildOpenApiDocument, toYaml } from "./openapi.js";

const PUBLIC_OPERATIONS = [
  "post /v1/load-tests",
  "get /v1/load-tests",
  "get /v1/load-tests/{id}",
  "put /v1/load-tests/{id}",
  "delete /v1/load-tests/{id}",
  "put /v1/load-tests/{id}/script",
  "get /v1/load-tests/{id}/script",
  "get /v1/load-tests/{id}/script/revisions",
  "get /v1/load-tests/{id}/script/revisions/{revisionId}",
  "post /v1/load-tests/{id}/runs",
  "get /v1/load-tests/{id}/runs",
  "get /v1/runs",
  "get /v1/runs/{id}",
  "post /v1/runs/{id}/stop",
  "get /v1/runs/{id}/graph",
  "get /v1/runs/{id}/summary",
  "get /v1/runs/{id}/requests",
  "get /v1/runs/{id}/requests.csv",
  "get /v1/runs/{id}/metrics/timeseries",
  "get /v1/runs/{id}/metrics/timeseries.csv",
  "get /v1/runs/{id}/metrics/scatter",
  "get /v1/runs/{id}/metrics/aggregate",
  "get /v1/load-tests/{id}/trend",
  "post /v1/live-tickets",
];

it("builds the public document with every management path and bearer auth, and no internal path", () => {
  const doc = buildOpenApiDocument({ baseUrl: "http://127.0.0.1:8080" });
  const operations = Object.entries(doc.paths ?? {}).flatMap(([path, item]) =>
    Object.keys(item as object).map((method) => `${method} ${path}`),
  );
  assert.deepEqual([...operations].sort(), [...PUBLIC_OPERATIONS].sort());
  assert.ok(doc.components?.securitySchemes?.Authorization);
  assert.ok(toYaml(doc).startsWith("openapi: 3."));
});

it("builds the internal document with internal paths only", () => {
  const doc = buildOpenApiDocument({ baseUrl: "http://127.0.0.1:8080", internal: true });
  assert.ok(Object.keys(doc.paths ?? {}).every((p) => p.startsWith("/v1/internal/")));
});
