import assert from "node:assert/strict";
import { createHmac, timingSafeEqual } from "node:crypto";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import type { Webhook, WebhookDelivery } from "@loadmgr/shared";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { createTest, ended, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { cli } from "./helpers/cli.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const RUNNER = { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 0 } };
const VIEWER = "hooks-viewer-token-0123456789";

interface Received {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/** A real HTTP receiver on loopback: what a webhook's owner runs. /flaky fails twice per delivery, /down always. */
async function startReceiver(): Promise<{ url: string; received: Received[]; close: () => Promise<void> }> {
  const received: Received[] = [];
  const flaky = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (chunk: Buffer) => chunks.push(chunk));
    req.on("end", () => {
      const path = req.url ?? "/";
      received.push({ path, headers: req.headers, body: Buffer.concat(chunks).toString("utf-8"), at: Date.now() });
      const delivery = String(req.headers["x-loadmanager-delivery"]);
      if (path === "/down") res.writeHead(503).end("down");
      else if (path === "/flaky" && (flaky.get(delivery) ?? 0) < 2) {
        flaky.set(delivery, (flaky.get(delivery) ?? 0) + 1);
        res.writeHead(500).end("try later");
      } else res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** What the receiver checks: the signature is the HMAC of the exact bytes it got, under the secret. */
function signedWith(secret: string, got: Received): boolean {
  const expected = Buffer.from(`sha256=${createHmac("sha256", secret).update(got.body).digest("hex")}`);
  const header = Buffer.from(String(got.headers["x-loadmanager-signature"]));
  return header.length === expected.length && timingSafeEqual(header, expected);
}

describe("webhooks: signed deliveries to a real receiver, retries with backoff, the delivery log", () => {
  let target: TargetApp;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  let server: TestServer;
  let closed: TestServer;
  let api: ReturnType<typeof restClient>;
  const cliEnv = () => ({
    LOADMGR_URL: server.url,
    LOADMGR_TOKEN: ADMIN_TOKEN,
    LOADMGR_CONFIG_DIR: join(tmpdir(), "loadmgr-webhooks-cli-no-profile"),
  });
  const scopeFlags = ["--account", SCOPE.accountId, "--org", SCOPE.orgId, "--project", SCOPE.projectId];

  before(async () => {
    target = await startTargetApp();
    receiver = await startReceiver();
    // Loopback receivers need the operator's yes; retries are quick here (0.1 s, then ×4).
    server = await startTestServer(
      {
        runner: RUNNER,
        webhooks: { allowPrivateTargets: true, retryBaseSec: 0.1 },
        security: { tokens: [{ name: "viewer", token: VIEWER, role: "viewer", accountId: SCOPE.accountId }] },
      },
      { role: "all" },
    );
    // The default: no private targets.
    closed = await startTestServer();
    api = restClient(server.url);
  });
  after(async () => {
    await closed.close();
    await server.close();
    await receiver.close();
    await target.close();
  });

  it("refuses private targets by default, bad events and secrets, and viewers, at the field, storing nothing", async () => {
    const guarded = restClient(closed.url);
    for (const url of [
      `${receiver.url}/ok`,
      "http://localhost:9/x",
      "http://169.254.169.254/latest/meta-data",
      "http://10.0.0.7/hook",
      "http://0x7f000001/x",
    ]) {
      const res = await guarded.post<{ code: string; field: string }>("/v1/webhooks", {
        ...SCOPE,
        url,
        events: ["run.finished"],
      });
      assert.equal(res.status, 400, url);
      assert.deepEqual([res.body.code, res.body.field], ["WEBHOOK_TARGET_NOT_ALLOWED", "url"], url);
    }
    const cases: [Record<string, unknown>, string][] = [
      [{ url: "ftp://hooks.example/x" }, "url"],
      [{ events: [] }, "events"],
      [{ events: ["run.exploded"] }, "events.0"],
      [{ events: ["run.finished", "run.finished"] }, "events"],
      [{ secret: "short" }, "secret"],
      [{ format: "teams" }, "format"],
    ];
    for (const [change, field] of cases) {
      const res = await api.post<{ code: string; field: string }>("/v1/webhooks", {
        ...SCOPE,
        url: `${receiver.url}/ok`,
        events: ["run.finished"],
        ...change,
      });
      assert.equal(res.status, 400, JSON.stringify(change));
      assert.equal(res.body.field, field, JSON.stringify(change));
    }
    const viewer = restClient(server.url, VIEWER);
    assert.equal((await viewer.get("/v1/webhooks")).status, 403);
    assert.equal(
      (await viewer.post("/v1/webhooks", { ...SCOPE, url: `${receiver.url}/ok`, events: ["run.finished"] })).status,
      403,
    );
    assert.deepEqual((await api.get<{ items: Webhook[] }>("/v1/webhooks")).body.items, []);
    assert.deepEqual((await guarded.get<{ items: Webhook[] }>("/v1/webhooks")).body.items, []);
  });

  it("delivers each event once, signed, in JSON or Slack's form; retries with backoff; logs every attempt", async () => {
    const create = async (path: string, extra: Record<string, unknown>) => {
      const res = await api.post<Webhook & { secret: string | null }>("/v1/webhooks", {
        ...SCOPE,
        url: `${receiver.url}${path}`,
        ...extra,
      });
      assert.equal(res.status, 201, JSON.stringify(res.body));
      return res.body;
    };
    const all = await create("/ok", {
      events: ["run.started", "run.finished", "run.failed", "run.stopped", "threshold.breached", "regression.detected"],
    });
    assert.ok(all.secret !== null && all.secret.length >= 32, "a secret is made and shown once");
    const mySecret = "my-own-signing-secret-42";
    const slack = await create("/slack", { events: ["threshold.breached"], format: "slack", secret: mySecret });
    assert.equal(slack.secret, null);
    const flaky = await create("/flaky", { events: ["run.finished"], secret: mySecret });
    const down = await create("/down", { events: ["run.finished"], secret: mySecret });
    const otherEnv = await create("/other-env", { events: ["run.finished"], envId: "prod" });
    const disabled = await create("/disabled", { events: ["run.finished"], enabled: false });
    const fetched = (await api.get<Record<string, unknown>>(`/v1/webhooks/${all.id}`)).body;
    assert.equal("secret" in fetched || "secretCiphertext" in fetched, false, "never shown again");

    const test = await createTest(api, target.url, locustScript("/hooked"), { name: "Hooked", defaultDurationSec: 3 });
    const run = await waitForRun(api, (await startRun(api, test.id, { thresholds: ["p95<0.001"] })).id, ended);
    assert.equal(run.status, "Finished", run.failureReason ?? "");
    assert.equal(run.verdict?.passed, false);

    const at = (path: string) => receiver.received.filter((r) => r.path === path);
    await eventually(() => at("/ok").length >= 3 && at("/slack").length >= 1, 20_000, "deliveries to /ok and /slack");
    // Each event once, in order; each body signed with the secret that was shown once.
    const events = at("/ok").map((r) => String(r.headers["x-loadmanager-event"]));
    assert.deepEqual(events.sort(), ["run.finished", "run.started", "threshold.breached"]);
    for (const got of at("/ok")) {
      assert.ok(signedWith(all.secret, got), "signature");
      assert.equal(signedWith("another-secret-entirely", got), false);
      assert.equal(got.headers["content-type"], "application/json");
      const body = JSON.parse(got.body) as Record<string, unknown>;
      assert.equal(body.event, got.headers["x-loadmanager-event"]);
      assert.equal(body.runId, run.id);
      assert.equal(body.loadTestId, test.id);
      assert.equal(body.testName, "Hooked");
      assert.equal(body.deliveryId, got.headers["x-loadmanager-delivery"]);
      if (body.event === "run.started") assert.equal(body.status, "Running");
      else {
        assert.equal(body.status, "Finished");
        assert.equal(body.outcome, "failed");
        assert.deepEqual(body.verdict, run.verdict);
      }
    }
    const [slackGot] = at("/slack");
    assert.ok(slackGot !== undefined && signedWith(mySecret, slackGot));
    const message = JSON.parse(slackGot.body) as { text: string; blocks: { type: string }[] };
    assert.match(message.text, /^❌ \*Hooked · .*\* breached a threshold \(Finished, failed\)/);
    assert.match(message.text, /✗ `p95&lt;0\.001` measured/);
    assert.deepEqual(
      message.blocks.map((b) => b.type),
      ["section", "context"],
    );

    // The flaky receiver: 500, 500, then delivered, the same bytes and delivery id each time.
    await eventually(() => at("/flaky").length >= 3, 20_000, "three attempts to /flaky");
    const tries = at("/flaky");
    assert.equal(new Set(tries.map((t) => t.body)).size, 1);
    assert.equal(new Set(tries.map((t) => t.headers["x-loadmanager-delivery"])).size, 1);
    assert.deepEqual(
      tries.map((t) => t.headers["x-loadmanager-attempt"]),
      ["1", "2", "3"],
    );
    // Backoff: 0.1 s, then 0.4 s (×4), at the least.
    const gaps = tries.slice(1).map((t, i) => t.at - (tries[i]?.at ?? 0));
    assert.ok((gaps[0] ?? 0) >= 90 && (gaps[1] ?? 0) >= 390, JSON.stringify(gaps));
    const flakyLog = async () =>
      (await api.get<{ items: WebhookDelivery[] }>(`/v1/webhooks/${flaky.id}/deliveries`)).body.items;
    let log = await flakyLog();
    for (let i = 0; i < 50 && log.length < 3; i++) {
      await new Promise((r) => setTimeout(r, 100));
      log = await flakyLog();
    }
    assert.deepEqual(
      log.map((d) => [d.attempt, d.statusCode, d.error, d.event, d.runId, d.nextAttemptAt === null]),
      [
        [3, 204, null, "run.finished", run.id, true],
        [2, 500, "answered 500", "run.finished", run.id, false],
        [1, 500, "answered 500", "run.finished", run.id, false],
      ],
    );

    // The receiver that is always down: five attempts in all, then given up.
    await eventually(() => at("/down").length >= 5, 30_000, "five attempts to /down");
    let downLog: WebhookDelivery[] = [];
    for (let i = 0; i < 50; i++) {
      downLog = (await api.get<{ items: WebhookDelivery[] }>(`/v1/webhooks/${down.id}/deliveries`)).body.items;
      if (downLog.length >= 5) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.deepEqual(
      downLog.map((d) => [d.attempt, d.statusCode, d.nextAttemptAt === null]),
      [
        [5, 503, true],
        [4, 503, false],
        [3, 503, false],
        [2, 503, false],
        [1, 503, false],
      ],
    );
    await new Promise((r) => setTimeout(r, 500));
    assert.equal(at("/down").length, 5, "no sixth attempt");
    // Another env's webhook and a disabled one heard nothing.
    assert.equal(at("/other-env").length + at("/disabled").length, 0);
    assert.deepEqual(
      (await api.get<{ items: WebhookDelivery[] }>(`/v1/webhooks/${otherEnv.id}/deliveries`)).body.items,
      [],
    );

    // The CLI shows the same log.
    const shown = await cli(["webhooks", "deliveries", flaky.id], cliEnv());
    assert.equal(shown.code, 0, shown.stderr);
    const rows = shown.stdout.trim().split("\n").slice(1);
    assert.equal(rows.length, 3);
    assert.match(rows[0] ?? "", /run\.finished\s+\S+\s+3\s+204\s+delivered/);
    assert.match(rows[2] ?? "", /run\.finished\s+\S+\s+1\s+500\s+answered 500\s+\d{4}-/);

    // Changed and deleted: a disabled webhook gets nothing; a deleted one is gone with its log.
    const changed = await api.put<Webhook>(`/v1/webhooks/${disabled.id}`, { enabled: true, events: ["run.stopped"] });
    assert.deepEqual([changed.status, changed.body.enabled, changed.body.events], [200, true, ["run.stopped"]]);
    assert.equal((await api.del(`/v1/webhooks/${down.id}`)).status, 200);
    assert.equal((await api.get(`/v1/webhooks/${down.id}/deliveries`)).status, 404);
    const listed = (await api.get<{ items: Webhook[] }>("/v1/webhooks")).body.items.map((h) => h.id);
    assert.deepEqual(listed, [all.id, slack.id, flaky.id, otherEnv.id, disabled.id]);
  });

  it("tells of a stop, to a webhook the CLI made for ends only; the CLI disables and deletes it", async () => {
    const test = await createTest(api, target.url, locustScript("/stopped"), { name: "Stopped one" });
    const made = await cli(
      [
        "webhooks",
        "create",
        ...scopeFlags,
        "--to",
        `${receiver.url}/ends`,
        "--event",
        "run.stopped",
        "--event",
        "run.failed",
      ],
      cliEnv(),
    );
    assert.equal(made.code, 0, made.stderr);
    const [line, note, secret] = made.stdout.trim().split("\n");
    assert.match(line ?? "", /^webhook (\S+) created: run\.stopped, run\.failed → http:\/\/127\.0\.0\.1:\d+\/ends$/);
    assert.match(note ?? "", /shown this once/);
    const hookId = /^webhook (\S+)/.exec(line ?? "")?.[1] ?? "";
    const started = await startRun(api, test.id, { durationSec: 60 });
    await waitForRun(api, started.id, (r) => r.status === "Running" || ended(r));
    await api.post(`/v1/runs/${started.id}/stop`);
    const stopped = await waitForRun(api, started.id, ended);
    assert.equal(stopped.status, "Stopped");
    await eventually(() => receiver.received.some((r) => r.path === "/ends"), 15_000, "the stop's delivery");
    const ends = receiver.received.filter((r) => r.path === "/ends");
    assert.deepEqual(
      ends.map((r) => [r.headers["x-loadmanager-event"], (JSON.parse(r.body) as { status: string }).status]),
      [["run.stopped", "Stopped"]],
    );
    assert.ok(ends[0] !== undefined && signedWith(secret ?? "", ends[0]));
    const listed = await cli(["webhooks", "list"], cliEnv());
    assert.match(
      listed.stdout,
      new RegExp(
        `${hookId}\\s+http://127\\.0\\.0\\.1:\\d+/ends\\s+run\\.stopped,run\\.failed\\s+json\\s+acme/web/shop/\\*\\s+yes`,
      ),
    );
    assert.equal((await cli(["webhooks", "disable", hookId], cliEnv())).stdout.trim(), `webhook ${hookId} disabled`);
    assert.equal((await api.get<Webhook>(`/v1/webhooks/${hookId}`)).body.enabled, false);
    assert.equal((await cli(["webhooks", "delete", hookId], cliEnv())).code, 0);
    assert.equal((await api.get(`/v1/webhooks/${hookId}`)).status, 404);
    const bad = await cli(
      ["webhooks", "create", ...scopeFlags, "--to", `${receiver.url}/x`, "--event", "run.exploded"],
      cliEnv(),
    );
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /events\.0/);
  });
});
