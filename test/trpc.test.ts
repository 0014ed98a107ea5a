import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { TRPCClientError, createTRPCClient, httpLink } from "@trpc/client";
import superjson from "superjson";
import type { AppRouter } from "../server/src/routers/index.js";
import { SAMPLE_SCRIPT_B64 } from "./helpers/fixtures.js";
import { ADMIN_TOKEN, startTestServer, type TestServer } from "./helpers/server.js";

describe("typed tRPC procedures (the same ones REST serves)", () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer();
  });
  after(() => server.close());

  const client = (token: string) =>
    createTRPCClient<AppRouter>({
      links: [
        httpLink({ url: `${server.url}/trpc`, transformer: superjson, headers: { authorization: `Bearer ${token}` } }),
      ],
    });

  it("creates and reads through tRPC what REST then serves", async () => {
    const trpc = client(ADMIN_TOKEN);
    const test = await trpc.loadTests.create.mutate({
      name: "typed",
      accountId: "a",
      orgId: "o",
      projectId: "p",
      targetUrl: "http://127.0.0.1:9000",
      scriptContent: SAMPLE_SCRIPT_B64,
    });
    const run = await trpc.runs.create.mutate({ id: test.id, targetUsers: 3 });
    assert.equal(run.targetUsers, 3);
    assert.equal((await trpc.loadTests.get.query({ id: test.id })).recentRuns[0]?.id, run.id);
    const rest = await (
      await fetch(`${server.url}/v1/runs/${run.id}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).json();
    assert.deepEqual(rest, run);
  });

  it("keeps the internal procedures (ingest, agents' sync) out of AppRouter and off tRPC; REST serves them", async () => {
    const trpc = client(ADMIN_TOKEN);
    // @ts-expect-error -- the client's type has no ingest: the internal procedures are not in AppRouter.
    assert.equal(typeof trpc.ingest, "function"); // (a proxy answers anything; the type is what tells)
    for (const path of ["ingest.metrics", "agents.sync", "agentPools.sync"]) {
      const res = await fetch(`${server.url}/trpc/${path}`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, "content-type": "application/json" },
        body: JSON.stringify({ json: {} }),
      });
      assert.equal(res.status, 404, path);
    }
    // The same procedures over REST answer (here refusing a missing token), not 404.
    for (const path of ["/v1/internal/locust/metrics", "/v1/internal/agents/sync"]) {
      const res = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      assert.notEqual(res.status, 404, path);
      assert.ok(res.status >= 400 && res.status < 500, `${path}: ${res.status}`);
    }
  });

  it("gives tRPC callers the same stable error code and field", async () => {
    const trpc = client(ADMIN_TOKEN);
    await assert.rejects(
      trpc.loadTests.create.mutate({
        name: "bad",
        accountId: "a",
        orgId: "o",
        projectId: "p",
        targetUrl: "http://127.0.0.1:9000",
        scriptContent: "***",
      }),
      (error: unknown) => {
        assert.ok(error instanceof TRPCClientError);
        const data = error.data as { appCode?: string; field?: string; httpStatus?: number };
        assert.equal(data.appCode, "SCRIPT_NOT_BASE64");
        assert.equal(data.field, "scriptContent");
        assert.equal(data.httpStatus, 400);
        return true;
      },
    );
    await assert.rejects(client("bad-token-0123456789").loadTests.list.query({}), (error: unknown) => {
      assert.ok(error instanceof TRPCClientError);
      assert.equal((error.data as { appCode?: string }).appCode, "UNAUTHORIZED");
      return true;
    });
  });
});
