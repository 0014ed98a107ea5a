import assert from "node:assert/strict";
import { it } from "node:test";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { buildOpenApiDocument, OPENAPI_DOCUMENTS, renderOpenApi, routeTable, toYaml } from "./openapi.js";

const PUBLIC_OPERATIONS = [
  "get /v1/me",
  "get /v1/scopes",
  "post /v1/load-tests",
  "get /v1/load-tests",
  "get /v1/load-tests/{id}",
  "put /v1/load-tests/{id}",
  "delete /v1/load-tests/{id}",
  "put /v1/load-tests/{id}/script",
  "get /v1/load-tests/{id}/script",
  "get /v1/load-tests/{id}/script/revisions",
  "get /v1/load-tests/{id}/script/revisions/{revisionId}",
  "get /v1/load-tests/{id}/script/revisions/{revisionId}/file",
  "post /v1/load-tests/{id}/runs",
  "get /v1/load-tests/{id}/runs",
  "get /v1/runs",
  "get /v1/runs/{id}",
  "post /v1/runs/{id}/load",
  "post /v1/runs/{id}/stop",
  "post /v1/runs/{id}/baseline",
  "post /v1/webhooks",
  "get /v1/webhooks",
  "get /v1/webhooks/{id}",
  "put /v1/webhooks/{id}",
  "delete /v1/webhooks/{id}",
  "get /v1/webhooks/{id}/deliveries",
  "post /v1/load-tests/{id}/schedules",
  "get /v1/load-tests/{id}/schedules",
  "get /v1/schedules/{id}",
  "put /v1/schedules/{id}",
  "delete /v1/schedules/{id}",
  "delete /v1/runs/{id}/baseline",
  "get /v1/runs/{id}/graph",
  "get /v1/runs/{id}/summary",
  "get /v1/runs/{id}/requests",
  "get /v1/runs/{id}/requests.csv",
  "get /v1/runs/{id}/report.html",
  "get /v1/runs/{id}/files",
  "get /v1/runs/{id}/files/{name}",
  "get /v1/runs/{id}/metrics/timeseries",
  "get /v1/runs/{id}/metrics/timeseries.csv",
  "get /v1/runs/{id}/metrics/scatter",
  "get /v1/runs/{id}/metrics/aggregate",
  "get /v1/load-tests/{id}/trend",
  "post /v1/live-tickets",
  "post /v1/agent-pools",
  "get /v1/agent-pools",
  "get /v1/agent-pools/{id}",
  "post /v1/agent-pools/{id}/token",
  "delete /v1/agent-pools/{id}/token",
  "get /v1/agent-package",
  "delete /v1/agent-pools/{id}",
  "delete /v1/agent-pools/{id}/agents/{agentId}",
  "put /v1/secrets/{name}",
  "get /v1/secrets",
  "delete /v1/secrets/{name}",
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

it("keeps the committed documents (docs/openapi*) as the code writes them: run `npm run openapi`", () => {
  for (const name of OPENAPI_DOCUMENTS) {
    const committed = readFileSync(fileURLToPath(new URL(`../../../docs/${name}`, import.meta.url)), "utf-8");
    assert.equal(committed, renderOpenApi(name), `docs/${name} is stale`);
  }
});

it("documents one error body, 201 for creations, and the statuses each operation can answer", () => {
  const doc = buildOpenApiDocument({ baseUrl: "/" }) as unknown as {
    components: { schemas: Record<string, { required?: string[] }> };
    paths: Record<string, Record<string, { responses: Record<string, unknown>; requestBody?: { required: boolean } }>>;
  };
  assert.deepEqual(
    Object.keys(doc.components.schemas).filter((name) => name.startsWith("error.")),
    [],
  );
  assert.deepEqual(doc.components.schemas.Error?.required, ["code", "message"]);
  const statuses = (method: string, path: string) => Object.keys(doc.paths[path]?.[method]?.responses ?? {});
  assert.deepEqual(statuses("post", "/v1/load-tests"), ["201", "400", "401", "403", "413", "415", "500", "503"]);
  assert.deepEqual(statuses("get", "/v1/load-tests"), ["200", "400", "401", "403", "500", "503"]);
  assert.deepEqual(statuses("post", "/v1/load-tests/{id}/runs"), [
    "201",
    "400",
    "401",
    "403",
    "404",
    "409",
    "413",
    "415",
    "500",
    "503",
  ]);
  assert.ok(statuses("get", "/v1/runs/{id}/metrics/timeseries").includes("429"));
  assert.equal(doc.paths["/v1/live-tickets"]?.post?.requestBody?.required, false, "a bodiless POST is {}");
  assert.equal(doc.paths["/v1/load-tests"]?.post?.requestBody?.required, true);
});

it("knows which methods each documented path takes (405 with Allow for the others) and its numeric query", () => {
  const routeOf = routeTable();
  assert.deepEqual(routeOf("/v1/load-tests")?.methods.sort(), ["GET", "POST"]);
  assert.deepEqual(routeOf("/v1/load-tests/abc")?.methods.sort(), ["DELETE", "GET", "PUT"]);
  assert.deepEqual(routeOf("/v1/runs/abc/requests.csv")?.methods, ["GET"]);
  assert.deepEqual(routeOf("/v1/internal/locust/metrics")?.methods, ["POST"]);
  assert.equal(routeOf("/v1/runs/abc/nothing"), undefined);
  assert.equal(routeOf("/v1/runs/a/b"), undefined);
  assert.deepEqual(routeOf("/v1/runs/abc/metrics/timeseries")?.numericQuery.GET?.sort(), [
    "afterSeq",
    "from",
    "limit",
    "to",
  ]);
  assert.deepEqual(routeOf("/v1/runs/abc/metrics/timeseries.csv")?.numericQuery.GET?.sort(), ["from", "to"]);
});
