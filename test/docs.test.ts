import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { startTestServer, type TestServer } from "./helpers/server.js";

describe("OpenAPI document, API reference page and health endpoints", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  it("serves the public OpenAPI document as JSON and YAML, without internal paths", async () => {
    const json = (await (await fetch(`${server.url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
      servers?: { url: string }[];
    };
    assert.match(json.openapi, /^3\./);
    assert.deepEqual(json.servers, [{ url: "/" }], "a relative server URL, whoever asked first");
    assert.ok(json.paths["/v1/load-tests"]);
    assert.ok(!Object.keys(json.paths).some((p) => p.startsWith("/v1/internal")));
    const yamlRes = await fetch(`${server.url}/openapi.yaml`);
    assert.match(yamlRes.headers.get("content-type") ?? "", /yaml/);
    assert.deepEqual(parse(await yamlRes.text()), json);
  });

  it("serves exactly the committed documents (docs/openapi*), the internal ingest one at its own path", async () => {
    for (const name of ["openapi.json", "openapi.yaml", "openapi-ingest.json", "openapi-ingest.yaml"]) {
      const res = await fetch(`${server.url}/${name}`);
      assert.equal(res.status, 200, name);
      const committed = readFileSync(new URL(`../docs/${name}`, import.meta.url), "utf-8");
      assert.equal(await res.text(), committed, `docs/${name} differs from what the server serves: npm run openapi`);
    }
    const ingest = (await (await fetch(`${server.url}/openapi-ingest.json`)).json()) as { paths: object };
    assert.deepEqual(Object.keys(ingest.paths).sort(), [
      "/v1/internal/agents/sync",
      "/v1/internal/locust/files",
      "/v1/internal/locust/metrics",
      "/v1/internal/locust/test-start",
      "/v1/internal/locust/test-stop",
    ]);
  });

  it("renders the API reference page with its assets served locally", async () => {
    const page = await fetch(`${server.url}/docs`);
    assert.equal(page.status, 200);
    const html = await page.text();
    assert.match(html, /swagger-ui-bundle\.js/);
    assert.match(html, /\/openapi\.json/);
    for (const asset of ["swagger-ui-bundle.js", "swagger-ui.css"]) {
      const res = await fetch(`${server.url}/docs/${asset}`);
      assert.equal(res.status, 200);
      assert.ok((await res.arrayBuffer()).byteLength > 1000);
    }
    assert.equal((await fetch(`${server.url}/docs/../package.json`)).status, 404);
  });

  it("answers /healthz and /readyz, and /readyz turns 503 when the store is gone", async () => {
    assert.deepEqual(await (await fetch(`${server.url}/healthz`)).json(), { status: "ok" });
    assert.deepEqual(await (await fetch(`${server.url}/readyz`)).json(), {
      status: "ready",
      store: "sqlite",
      sandbox: "on",
    });
    const other = await startTestServer();
    await other.store.close();
    const res = await fetch(`${other.url}/readyz`);
    assert.equal(res.status, 503);
    assert.equal(((await res.json()) as { status: string }).status, "unavailable");
    await other.close();
  });

  it("answers unknown routes with a JSON 404", async () => {
    const res = await fetch(`${server.url}/nope`);
    assert.equal(res.status, 404);
    assert.equal(((await res.json()) as { code: string }).code, "NOT_FOUND");
    const api = await fetch(`${server.url}/v1/nope`);
    assert.equal(api.status, 404);
  });
});
