import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import type { AgentPool, RequestStats, RunFile } from "@loadmgr/shared";
import { locustScript, startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { assertEqualsLocustCsv, removeHosts, spawnAgent, type RunningAgent } from "./helpers/agents.js";
import { createHosts, type Hosts } from "./helpers/hosts.js";
import { freePort } from "./helpers/ports.js";
import { collectedFile, createTest, ended, parseCsv, reporting, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";
import { eventually } from "./helpers/wait.js";

/**
 * Hosts that only dial out: each a network namespace whose firewall drops every connection opened to
 * it, from the server's side and from the other hosts alike (hosts behind NATs of their own). Their
 * agents say so (--no-inbound), and a run spread over them reaches its master through the server's
 * relay (agents/workerRelay.ts), with Locust's own protocol end to end.
 */
describe("a pool run over hosts that take no inbound connection at all: the workers reach their master through the server", () => {
  let hosts: Hosts;
  let target: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let pool: AgentPool & { token: string };
  const agents: RunningAgent[] = [];

  before(async () => {
    hosts = createHosts(2, { inbound: "none" });
    target = await startTargetApp(hosts.namespaced ? "0.0.0.0" : "127.0.0.1", hosts.hostIp);
    const port = await freePort();
    server = await startTestServer(
      {
        server: { host: hosts.namespaced ? "0.0.0.0" : "127.0.0.1", port },
        // The default: a run's directory goes once the server has collected its files.
        runner: { metricsIntervalSec: 1, local: { keepRunsHours: 0 } },
      },
      { role: "all" },
    );
    api = restClient(server.url);
    const created = await api.post<AgentPool & { token: string }>("/v1/agent-pools", { name: "nat", ...SCOPE });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    pool = created.body;
    // Each host in a region of its own (what a run split over regions selects on).
    for (const [host, [name, region]] of [
      ["gen-a", "eu"],
      ["gen-b", "us"],
    ].entries()) {
      const serverUrl = `http://${hosts.hostIp}:${port}`;
      const args = ["--no-inbound", "--labels", `region=${region}`];
      agents.push(spawnAgent(hosts, host, { serverUrl, token: pool.token, name: name ?? "", capacity: 2, args }));
    }
    const deadline = Date.now() + 20_000;
    const connected = async (): Promise<number> =>
      (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents.filter((a) => a.connected).length;
    while ((await connected()) < 2) {
      assert.ok(Date.now() < deadline, `both agents to connect: ${agents.map((a) => a.output()).join("\n")}`);
      await sleep(200);
    }
  });

  after(() =>
    removeHosts(hosts, agents, async () => {
      await server.close();
      await target.close();
    }),
  );

  it("the hosts refuse every connection in: from the server's side and from each other", async (t) => {
    if (!hosts.namespaced) {
      t.skip("no network namespaces here: the agents share the server's loopback");
      return;
    }
    const listed = (await api.get<AgentPool>(`/v1/agent-pools/${pool.id}`)).body.agents;
    assert.deepEqual(
      listed.map((a) => [a.name, a.inbound]),
      [
        ["gen-a", false],
        ["gen-b", false],
      ],
    );
    // A connection from host 1 to a port of host 0 where nothing listens: refused at once if the SYN
    // got there, so a time-out means the firewall dropped it.
    const probe = hosts.spawn(1, "python3", [
      "-c",
      `import socket,sys
try:
    socket.create_connection(("${hosts.ips[0]}", 9), timeout=2)
    print("connected")
except socket.timeout:
    print("timed out")
except OSError as e:
    print(e.strerror)`,
    ]);
    let said = "";
    probe.stdout?.on("data", (chunk: Buffer) => (said += chunk.toString()));
    await new Promise((resolve) => probe.once("exit", resolve));
    assert.equal(said.trim(), "timed out");
  });

  it("finishes a run whose master is on one such host and workers on both; its totals and percentiles are Locust's own", async () => {
    const test = await createTest(api, target.url, locustScript("/relayed"), { agentPool: pool.id });
    // 1 master + 3 workers on 2 hosts of capacity 2: the master's host holds one worker, the other two.
    const run = await startRun(api, test.id, { workers: 3, durationSec: 12, targetUsers: 6, spawnRate: 6 });
    // The server (this process) stops answering for 6 s mid-run, as a busy or pausing server may: the
    // relay carries nothing meanwhile, and the workers' heartbeats reach their master late, all at once.
    // With Locust's own tolerance (3 s) the master counted the relayed workers missing (and ends a run
    // whose workers all are); a master here waits 10 s for a worker's heartbeat (plugin.py).
    await waitForRun(api, run.id, reporting, 60_000);
    const stalledUntil = Date.now() + 6_000;
    while (Date.now() < stalledUntil);
    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.deepEqual(done.warnings, []);
    const master = done.placement.find((e) => e.role === "master");
    const remote = done.placement.filter((e) => e.role === "worker" && e.agentId !== master?.agentId);
    assert.equal(
      remote.reduce((n, e) => n + e.processes, 0),
      2,
      `two workers on the other host: ${JSON.stringify(done.placement)}`,
    );
    // The relay carried them: the server counted their bytes.
    const metrics = await (
      await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } })
    ).text();
    const relayed = Number(/^loadmgr_relay_bytes_total (\d+)/m.exec(metrics)?.[1] ?? 0);
    assert.ok(relayed > 1000, `relayed ${relayed} bytes`);

    // Every request of every worker reached the server: the totals and percentiles equal the CSV the
    // master wrote on its host once it had every worker's last report, which the server collected.
    const rows = parseCsv(await collectedFile(server.url, run.id, "locust_stats.csv"));
    await assertEqualsLocustCsv(api, run.id, rows);
    const total = rows.find((row) => row.Name === "Aggregated");
    assert.ok(Number(total?.["Request Count"]) > 0);
    assert.equal(done.lastMetrics?.totalRequests, Number(total?.["Request Count"]));
    assert.equal(done.workers, 3);

    // The agents keep nothing of it once the server has what it keeps (their default): the script,
    // the spec, Locust's files are gone from both hosts; Locust's files and log are on the server.
    await eventually(
      () => agents.every((a) => !existsSync(join(a.dir, run.id)) && !existsSync(join(a.dir, `${run.id}.workers`))),
      30_000,
      "the agents to remove the run's directories",
    );
    const files = (await api.get<{ items: RunFile[] }>(`/v1/runs/${run.id}/files`)).body.items;
    assert.deepEqual(
      files.map((f) => f.name),
      ["locust.log", "locust_exceptions.csv", "locust_failures.csv", "locust_stats.csv", "locust_stats_history.csv"],
    );
    const log = await collectedFile(server.url, run.id, "locust.log");
    assert.match(log, /Aggregated/);
    // No worker was counted missing while the server did not answer.
    assert.doesNotMatch(log, /failed to send heartbeat/);
  });

  it("splits a run's workers over regions by share, and keeps each region's figures beside the whole run's", async () => {
    const test = await createTest(api, target.url, locustScript("/regional"), { agentPool: pool.id });
    const regions = [
      { name: "eu", share: 60 },
      { name: "us", share: 40 },
    ];
    // 3 workers at 60/40: eu 2 (gen-a, full), us 1 (gen-b), the master where room is left (gen-b).
    // Locust gives each worker 2 of the 6 users: eu runs 4, us 2.
    const run = await startRun(api, test.id, { workers: 3, durationSec: 6, targetUsers: 6, spawnRate: 6, regions });
    assert.deepEqual(run.regions, regions);
    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.deepEqual(
      done.placement.map((e) => [e.role, e.agentName, e.processes, e.region]),
      [
        ["master", "gen-b", 1, "us"],
        ["worker", "gen-a", 2, "eu"],
        ["worker", "gen-b", 1, "us"],
      ],
    );
    // The whole run is still Locust's own, to the request and the percentile.
    await assertEqualsLocustCsv(api, run.id, parseCsv(await collectedFile(server.url, run.id, "locust_stats.csv")));
    const whole = (await api.get<RequestStats>(`/v1/runs/${run.id}/requests`)).body;
    assert.deepEqual(
      whole.regions.map((r) => [r.region, r.share, r.workers, r.maxUsers]),
      [
        ["eu", 60, 2, 4],
        ["us", 40, 1, 2],
      ],
    );
    // Every request counted in exactly one region: per endpoint and in total.
    const ofRegion = await Promise.all(
      regions.map(async (r) => (await api.get<RequestStats>(`/v1/runs/${run.id}/requests?region=${r.name}`)).body),
    );
    for (const endpoint of whole.endpoints) {
      const parts = ofRegion.map((q) => q.endpoints.find((e) => e.name === endpoint.name)?.numRequests ?? 0);
      assert.equal(
        parts.reduce((a, b) => a + b, 0),
        endpoint.numRequests,
        `${endpoint.name}: ${parts.join(" + ")}`,
      );
    }
    const [eu, us] = whole.regions;
    assert.ok(eu && us);
    assert.equal(eu.total.numRequests + us.total.numRequests, whole.total.numRequests);
    assert.equal(ofRegion[0]?.region, "eu");
    assert.deepEqual(ofRegion[0]?.total, eu.total);
    assert.ok(us.total.numRequests > 0, "us made requests");
    assert.ok(
      eu.total.numRequests > us.total.numRequests,
      `eu's 4 users outdo us's 2: ${eu.total.numRequests}, ${us.total.numRequests}`,
    );
    // Rates over the whole run's time: the regions' requests/s add up to the run's.
    assert.ok(Math.abs(eu.total.requestsPerSec + us.total.requestsPerSec - whole.total.requestsPerSec) < 0.01);

    // A region the run has not: 400, naming the field; the report shows the regions.
    const unknown = await api.get<{ code: string; field?: string }>(`/v1/runs/${run.id}/requests?region=apac`);
    assert.equal(unknown.status, 400);
    assert.equal(unknown.body.code, "INVALID_INPUT");
    assert.equal(unknown.body.field, "region");
    const report = await (
      await fetch(`${server.url}/v1/runs/${run.id}/report.html`, {
        headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
      })
    ).text();
    const table = /<table id="regions">(.*?)<\/table>/s.exec(report)?.[1] ?? "";
    assert.match(table, /<td class="mono">eu<\/td><td class="num">60 %<\/td><td class="num">2<\/td>/);
    assert.match(table, /<td class="mono">us<\/td><td class="num">40 %<\/td><td class="num">1<\/td>/);
  });

  it("refuses regions that cannot be: shares that do not add up, fewer workers than regions, off a pool", async () => {
    const onPool = await createTest(api, target.url, locustScript("/x"), { agentPool: pool.id });
    const local = await createTest(api, target.url, locustScript("/x"));
    const cases: [string, Record<string, unknown>, string][] = [
      [
        onPool.id,
        {
          regions: [
            { name: "eu", share: 60 },
            { name: "us", share: 30 },
          ],
        },
        "regions",
      ],
      [
        onPool.id,
        {
          regions: [
            { name: "eu", share: 50 },
            { name: "eu", share: 50 },
          ],
        },
        "regions",
      ],
      [onPool.id, { regions: [{ name: "e u", share: 100 }] }, "regions.0.name"],
      [
        onPool.id,
        {
          workers: 1,
          regions: [
            { name: "eu", share: 50 },
            { name: "us", share: 50 },
          ],
        },
        "workers",
      ],
      [onPool.id, { labels: { region: "eu" }, regions: [{ name: "eu", share: 100 }] }, "labels"],
      [local.id, { regions: [{ name: "eu", share: 100 }] }, "regions"],
    ];
    const before = (await api.get<{ items: unknown[] }>(`/v1/runs?loadTestId=${onPool.id}`)).body.items.length;
    for (const [testId, body, field] of cases) {
      const res = await api.post<{ code: string; field?: string }>(`/v1/load-tests/${testId}/runs`, body);
      assert.equal(res.status, 400, JSON.stringify(body));
      assert.equal(res.body.code, "INVALID_INPUT");
      assert.equal(res.body.field, field, JSON.stringify(res.body));
    }
    assert.equal((await api.get<{ items: unknown[] }>(`/v1/runs?loadTestId=${onPool.id}`)).body.items.length, before);
  });

  it("removes a run's directory on the server's own host too, once its files are collected", async () => {
    const test = await createTest(api, target.url, locustScript("/local"), { defaultDurationSec: 2 });
    const done = await waitForRun(api, (await startRun(api, test.id)).id, ended, 60_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    const rows = parseCsv(await collectedFile(server.url, done.id, "locust_stats.csv"));
    assert.equal(Number(rows.find((r) => r.Name === "Aggregated")?.["Request Count"]), done.lastMetrics?.totalRequests);
    await eventually(
      () => !existsSync(runDir(server, done.id)),
      30_000,
      "the local agent to remove the run's directory",
    );
    // Not a file of a run: refused at the name.
    const bad = await fetch(`${server.url}/v1/runs/${done.id}/files/spec.json`, {
      headers: { authorization: `Bearer ${ADMIN_TOKEN}` },
    });
    assert.equal(bad.status, 404);
    assert.equal(((await bad.json()) as { code: string }).code, "FILE_NOT_FOUND");
  });

  it("refuses relay connections without the run's tokens, and for runs that are not active", async () => {
    const url = new URL(server.url);
    const ask = (path: string, token?: string): Promise<string> =>
      new Promise((resolve, reject) => {
        import("node:net")
          .then(({ connect }) => {
            const socket = connect({ host: url.hostname, port: Number(url.port) }, () => {
              socket.write(
                `GET /v1/internal/relay/${path} HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: loadmgr-relay\r\n${token ? `Authorization: Bearer ${token}\r\n` : ""}\r\n`,
              );
            });
            let answer = "";
            socket.on("data", (chunk: Buffer) => (answer += chunk.toString()));
            socket.on("close", () => resolve(answer));
            socket.on("error", reject);
          })
          .catch(reject);
      });
    const status = (answer: string): string => /^HTTP\/1\.1 (\d+ \w+)/.exec(answer)?.[1] ?? answer;
    const runId = "00000000-0000-7000-8000-000000000000";
    assert.equal(status(await ask(`${runId}/worker`)), "401 UNAUTHORIZED");
    assert.equal(status(await ask(`${runId}/master`, "lmr_wrong")), "401 UNAUTHORIZED");
    const tokens = server.running.services.runTokens;
    // A worker's token opens the worker side only: it cannot pose as the master.
    assert.equal(status(await ask(`${runId}/master`, tokens.relayToken(runId))), "401 UNAUTHORIZED");
    assert.equal(status(await ask(`${runId}/worker`, tokens.relayToken(runId))), "409 RUN_NOT_RUNNING");
    assert.equal(status(await ask(`${runId}/join/abc`, tokens.issue(runId))), "409 RUN_NOT_RUNNING");
  });
});
