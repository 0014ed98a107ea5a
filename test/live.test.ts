import assert from "node:assert/strict";
import { connect, createServer, type AddressInfo, type Socket } from "node:net";
import { after, before, describe, it } from "node:test";
import { EventSource } from "eventsource";
import type { LiveMetrics, LoadTest, LoadTestRun, RequestLogBatch, RequestSample } from "@loadmgr/shared";
import { freePort } from "./helpers/ports.js";
import { pusher } from "./helpers/pusher.js";
import { collect, liveClient } from "./helpers/liveClient.js";
import { createLoadManagerClient, type LoadManagerClient } from "../client/src/index.js";
import { createTest, startRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

const OUTSIDER = "other-account-token-012345678";
const TOKENS = { tokens: [{ name: "other", token: OUTSIDER, role: "viewer", accountId: "globex" }] };

const seqs = (events: { data: { seq: number } }[]): number[] => events.map((e) => e.data.seq);

describe("live subscriptions over WebSocket", () => {
  let server: TestServer;
  let test: LoadTest;
  let ws: LoadManagerClient;
  const api = () => restClient(server.url);

  before(async () => {
    server = await startTestServer({ security: TOKENS });
    test = await createTest(api(), "http://127.0.0.1:9", "print('not run')\n");
    ws = liveClient(server.url, ADMIN_TOKEN);
  });
  after(() => server.close());

  it("streams every snapshot as it is ingested, with its seq as the tracked id, and ends with the run", async () => {
    const run = await startRun(api(), test.id);
    const push = pusher(server, run.id);
    const live = collect<LiveMetrics>(ws.runs.onMetrics, { runId: run.id });
    await push.metrics(1); // may land before the subscription is in place: without lastEventId it need not arrive
    await new Promise((resolve) => setTimeout(resolve, 200));
    const before = live.events.length;
    assert.ok(before <= 1);
    for (const seq of [2, 3, 4]) await push.metrics(seq, seq === 4 ? { final: true } : {});
    await eventually(() => live.events.length === before + 3, 5000, "three live snapshots");
    const tail = live.events.slice(before);
    assert.deepEqual(
      tail.map((e) => e.id),
      ["2", "3", "4"],
    );
    const last = tail[2]?.data;
    assert.equal(last?.requestsPerSec, 10);
    assert.equal(last?.p95ResponseMs, 4);
    assert.equal(last?.users, 4);
    assert.equal(last?.totalRequests, 40);
    assert.equal(last?.final, true);
    assert.deepEqual(
      last?.endpoints.map((e) => [e.name, e.numRequests]),
      [["/", 10]],
    );
    await push.stop();
    await eventually(() => live.completed, 5000, "the subscription to end with the run");
    assert.deepEqual(live.errors, []);
  });

  it("resumes after lastEventId with what was missed, replayed from the store, and never repeats one", async () => {
    const run = await startRun(api(), test.id);
    const push = pusher(server, run.id);
    for (const seq of [1, 2, 3]) await push.metrics(seq);
    const resumed = collect<LiveMetrics>(ws.runs.onMetrics, { runId: run.id, lastEventId: "1" });
    // Pushes race the replay: each must arrive once, in order.
    for (let seq = 4; seq <= 30; seq++) await push.metrics(seq);
    await eventually(() => resumed.events.length === 29, 5000, "snapshots 2..30");
    assert.deepEqual(
      seqs(resumed.events),
      Array.from({ length: 29 }, (_, i) => i + 2),
    );
    resumed.stop();

    // A dashboard that reconnects later, after the run ended, gets the rest and the end.
    for (const seq of [31, 32]) await push.metrics(seq);
    await push.stop();
    const late = collect<LiveMetrics>(ws.runs.onMetrics, { runId: run.id, lastEventId: "30" });
    await eventually(() => late.completed, 5000, "the replay of an ended run to complete");
    assert.deepEqual(seqs(late.events), [31, 32]);
  });

  it("replays a backlog longer than one read from the store (200) in order, each snapshot once", async () => {
    const run = await startRun(api(), test.id);
    const push = pusher(server, run.id);
    for (let seq = 1; seq <= 450; seq++) await push.metrics(seq);
    await push.stop();
    const replayed = collect<LiveMetrics>(ws.runs.onMetrics, { runId: run.id, lastEventId: "0" });
    await eventually(() => replayed.completed, 10_000, "the replay of 450 snapshots to complete");
    assert.deepEqual(
      seqs(replayed.events),
      Array.from({ length: 450 }, (_, i) => i + 1),
    );
  });

  it("tells status changes in scope, and nothing outside a token's scope", async () => {
    const outsider = liveClient(server.url, OUTSIDER);
    const mine = collect<LoadTestRun>(ws.runs.onStatus, { projectId: "shop", loadTestId: test.id });
    const theirs = collect<LoadTestRun>(outsider.runs.onStatus, {});
    const otherProject = collect<LoadTestRun>(ws.runs.onStatus, { projectId: "blog" });
    await new Promise((resolve) => setTimeout(resolve, 300));
    const run = await startRun(api(), test.id);
    const push = pusher(server, run.id);
    await push.metrics(1);
    const stop = await api().post<LoadTestRun>(`/v1/runs/${run.id}/stop`);
    assert.equal(stop.status, 200);
    await push.stop();
    await eventually(
      () => mine.events.filter((e) => e.data.id === run.id).length === 4,
      5000,
      "Pending, Running, Stopping, Stopped",
    );
    assert.deepEqual(
      mine.events.filter((e) => e.data.id === run.id).map((e) => e.data.status),
      ["Pending", "Running", "Stopping", "Stopped"],
    );
    assert.deepEqual(theirs.events, []);
    assert.deepEqual(otherProject.events, []);
    for (const r of [mine, theirs, otherProject]) r.stop();
  });

  it("streams request samples live, and a late subscriber gets the recent window first", async () => {
    const run = await startRun(api(), test.id);
    const push = pusher(server, run.id);
    const sample = (i: number, success = true): RequestSample => ({
      timestamp: 1_760_000_000_000 + i,
      method: "GET",
      name: "/items",
      url: `http://127.0.0.1:9/items?i=${i}`,
      responseMs: i,
      success,
      ...(success ? {} : { error: "HTTPError('500')" }),
    });
    const early = collect<RequestLogBatch>(ws.runs.onRequestLog, { runId: run.id });
    await new Promise((resolve) => setTimeout(resolve, 300));
    await push.metrics(1, { requestSamples: [sample(1), sample(2, false)] });
    await eventually(() => early.events.length === 1, 30_000, "the first batch");
    assert.deepEqual(early.events[0]?.data.samples, [sample(1), sample(2, false)]);

    // Over the window (500), only the newest are kept.
    await push.metrics(2, { requestSamples: Array.from({ length: 600 }, (_, i) => sample(100 + i)) });
    const late = collect<RequestLogBatch>(ws.runs.onRequestLog, { runId: run.id });
    // (A subscription the server ends with an error says so here, rather than as a time-out.)
    await eventually(() => late.events.length === 1 || late.errors.length > 0, 30_000, "the recent window");
    assert.deepEqual(
      late.errors.map((error) => error.message),
      [],
    );
    const window = late.events[0]?.data.samples ?? [];
    assert.equal(window.length, 500);
    assert.equal(window[0]?.responseMs, 200);
    assert.equal(window.at(-1)?.responseMs, 699);
    // A resent snapshot is a duplicate: its samples are not sent again.
    await push.metrics(2, { requestSamples: [sample(9999)] });
    await push.metrics(3, { requestSamples: [sample(3)] });
    await eventually(() => late.events.length === 2);
    assert.deepEqual(late.events[1]?.data.samples, [sample(3)]);
    assert.equal(early.events.length, 3);
    early.stop();
    late.stop();
  });

  it("refuses a missing or bad token, and answers 404 for a run outside the token's scope", async () => {
    const run = await startRun(api(), test.id);
    const anonymous = liveClient(server.url, null);
    const wrong = liveClient(server.url, "not-a-real-token-000000000");
    const outsider = liveClient(server.url, OUTSIDER);
    const cases = [
      [anonymous, "UNAUTHORIZED"],
      [wrong, "UNAUTHORIZED"],
      [outsider, "NOT_FOUND"],
    ] as const;
    for (const [client, code] of cases) {
      for (const received of [
        collect(client.runs.onMetrics, { runId: run.id }),
        collect(client.runs.onRequestLog, { runId: run.id }),
      ]) {
        await eventually(() => received.errors.length === 1, 5000, `a ${code} error`);
        const error = received.errors[0] as Error & { data?: { code?: string } };
        assert.equal(error.data?.code, code);
        assert.deepEqual(received.events, []);
      }
    }
    const bad = collect<LiveMetrics>(ws.runs.onMetrics, { runId: run.id, lastEventId: "abc" });
    await eventually(() => bad.errors.length === 1);
    assert.equal((bad.errors[0] as Error & { data?: { code?: string } }).data?.code, "BAD_REQUEST");
    const unknown = collect<LiveMetrics>(ws.runs.onMetrics, { runId: "no-such-run" });
    await eventually(() => unknown.errors.length === 1);
    assert.match(unknown.errors[0]?.message ?? "", /run no-such-run not found/);
  });
});

describe("a dashboard riding out a server restart", () => {
  it("reconnects on its own and resumes from its last tracked id without gaps or repeats", async () => {
    const port = await freePort();
    const first = await startTestServer({ server: { port } }, { keepData: true });
    const api = restClient(first.url);
    const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
    const run = await startRun(api, test.id);
    const client = liveClient(first.url, ADMIN_TOKEN);
    let second: TestServer | undefined;
    try {
      const live = collect<LiveMetrics>(client.runs.onMetrics, { runId: run.id, lastEventId: "0" });
      for (const seq of [1, 2]) await pusher(first, run.id).metrics(seq);
      await eventually(() => live.events.length === 2, 5000);
      await first.close();
      second = await startTestServer({ server: { port } }, { dataDir: first.dataDir });
      // Pushed while the client is still reconnecting: it gets them from the store. (The first push
      // may meet a pooled connection to the old server that fetch has not noticed is closed: retry it.)
      const push = pusher(second, run.id);
      await push.metrics(3).catch(() => push.metrics(3));
      await push.metrics(4);
      await eventually(() => live.events.length === 4, 10_000, "snapshots 3 and 4 after the restart");
      await pusher(second, run.id).metrics(5);
      await eventually(() => live.events.length === 5, 5000);
      assert.deepEqual(seqs(live.events), [1, 2, 3, 4, 5]);
      assert.deepEqual(live.errors, []);
      live.stop();
    } finally {
      await second?.close();
    }
  });
});

/** Reads server-sent events from a streamed response until `enough` holds or `ms` pass. */
async function readEvents(
  res: Response,
  enough: (events: { id?: string; event?: string; data: string }[]) => boolean,
  ms = 5000,
): Promise<{ id?: string; event?: string; data: string }[]> {
  const events: { id?: string; event?: string; data: string }[] = [];
  const reader = (res.body ?? assert.fail("no body")).pipeThrough(new TextDecoderStream()).getReader();
  const deadline = setTimeout(() => void reader.cancel(), ms);
  let text = "";
  try {
    while (!enough(events)) {
      const { value, done } = await reader.read();
      if (done) break;
      text += value;
      let end: number;
      while ((end = text.indexOf("\n\n")) >= 0) {
        const block = text.slice(0, end);
        text = text.slice(end + 2);
        const event: { id?: string; event?: string; data: string } = { data: "" };
        for (const line of block.split("\n")) {
          const [field, ...rest] = line.split(":");
          const value = rest.join(":").trimStart();
          if (field === "id") event.id = value;
          else if (field === "event") event.event = value;
          else if (field === "data") event.data += value;
        }
        if (event.data !== "" || event.event !== undefined) events.push(event);
      }
    }
  } finally {
    clearTimeout(deadline);
    await reader.cancel().catch(() => undefined);
  }
  return events;
}

describe("live subscriptions over SSE (no WebSocket)", () => {
  let server: TestServer;
  before(async () => (server = await startTestServer()));
  after(() => server.close());

  /** A single-use ticket, as a browser gets one before it opens an EventSource. */
  const ticket = async (): Promise<string> =>
    (await restClient(server.url).post<{ ticket: string }>("/v1/live-tickets")).body.ticket;
  const sse = (runId: string, headers: Record<string, string> = {}, params: Record<string, string> | null = null) => {
    const input = encodeURIComponent(JSON.stringify({ json: { runId } }));
    const query = params === null ? "" : `&connectionParams=${encodeURIComponent(JSON.stringify(params))}`;
    return fetch(`${server.url}/trpc/runs.onMetrics?input=${input}${query}`, {
      headers: { accept: "text/event-stream", ...headers },
    });
  };
  const errorOf = async (res: Response): Promise<string> => {
    const events = await readEvents(res, (list) => list.some((e) => e.event === "serialized-error"), 3000);
    return events.find((e) => e.event === "serialized-error")?.data ?? JSON.stringify(events);
  };

  it("streams snapshots with their ids, and resumes after Last-Event-ID as EventSource does", async () => {
    const api = restClient(server.url);
    const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
    const run = await startRun(api, test.id);
    const push = pusher(server, run.id);
    for (const seq of [1, 2, 3]) await push.metrics(seq);

    const res = await sse(run.id, { "last-event-id": "1" }, { ticket: await ticket() });
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/event-stream/);
    const pushing = (async () => {
      for (const seq of [4, 5]) await push.metrics(seq);
    })();
    const events = await readEvents(res, (list) => list.filter((e) => e.id !== undefined).length >= 4);
    await pushing;
    const data = events.filter((e) => e.id !== undefined);
    assert.deepEqual(
      data.map((e) => e.id),
      ["2", "3", "4", "5"],
    );
    const first = JSON.parse(data[0]?.data ?? "{}") as { json: LiveMetrics };
    assert.equal(first.json.seq, 2);
    assert.equal(first.json.totalRequests, 20);
  });

  it("goes on after its connection is lost: a fresh ticket, from after its last event, nothing missed or repeated", async () => {
    // A proxy between the client and the server that can cut every connection through it (as a load
    // balancer's idle timeout does), while the server stays up and remembers the ticket as used.
    const [host, port] = [new URL(server.url).hostname, Number(new URL(server.url).port)];
    const sockets = new Set<Socket>();
    const proxy = createServer((inbound) => {
      const outbound = connect(port, host);
      for (const [a, b] of [
        [inbound, outbound],
        [outbound, inbound],
      ] as const) {
        sockets.add(a);
        a.pipe(b);
        a.on("error", () => b.destroy());
        a.on("close", () => {
          sockets.delete(a);
          b.destroy();
        });
      }
    });
    await new Promise<void>((resolve) => proxy.listen(0, "127.0.0.1", resolve));
    try {
      const proxied = `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`;
      const client = createLoadManagerClient({
        url: proxied,
        token: ADMIN_TOKEN,
        EventSource,
        retryDelayMs: () => 100,
      });
      const api = restClient(server.url);
      const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
      const run = await startRun(api, test.id);
      const push = pusher(server, run.id);
      for (const seq of [1, 2]) await push.metrics(seq);
      const watched = collect<LiveMetrics>(client.runs.onMetrics, { runId: run.id, lastEventId: "0" });
      await eventually(() => watched.events.length === 2, 10_000, "the first two snapshots");
      for (const socket of sockets) socket.destroy();
      for (const seq of [3, 4]) await push.metrics(seq);
      await eventually(() => watched.events.length >= 4, 15_000, "the snapshots after the cut");
      assert.deepEqual(
        watched.events.map((e) => e.data.seq),
        [1, 2, 3, 4],
      );
      assert.deepEqual(watched.errors, []);
      watched.stop();
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => proxy.close(resolve));
    }
  });

  it("refuses an SSE subscription without a token", async () => {
    const api = restClient(server.url);
    const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
    const run = await startRun(api, test.id);
    assert.match(await errorOf(await sse(run.id, {}, null)), /missing or invalid bearer token/);
  });

  it("keeps the token out of the URL: a token there is refused, a ticket opens one stream only", async () => {
    const api = restClient(server.url);
    const test = await createTest(api, "http://127.0.0.1:9", "print('not run')\n");
    const run = await startRun(api, test.id);
    assert.match(
      await errorOf(await sse(run.id, {}, { token: ADMIN_TOKEN })),
      /a token in the URL would end up in access logs/,
    );
    const once = await ticket();
    const first = await sse(run.id, {}, { ticket: once });
    assert.equal(first.status, 200);
    await first.body?.cancel();
    assert.match(await errorOf(await sse(run.id, {}, { ticket: once })), /unknown, expired or already used/);
    assert.match(await errorOf(await sse(run.id, {}, { ticket: `${once.slice(0, -2)}xx` })), /unknown, expired/);
    // A client that can send headers needs no ticket.
    const withHeader = await sse(run.id, { authorization: `Bearer ${ADMIN_TOKEN}` });
    assert.equal(withHeader.status, 200);
    await withHeader.body?.cancel();
  });
});
