import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  encodeScript,
  type LoadTest,
  type LoadTestRun,
  type RequestLogBatch,
  type ScriptRevision,
  type Timeseries,
} from "@loadmgr/shared";
import type { LoadManagerClient } from "../client/src/index.js";
import { startTargetApp, type TargetApp } from "./fixtures/targetApp.js";
import { collect, liveClient } from "./helpers/liveClient.js";
import { ended, SCOPE, startRun, waitForRun } from "./helpers/runs.js";
import { ADMIN_TOKEN, restClient, runDir, startTestServer, type TestServer } from "./helpers/server.js";
import { secretForms } from "../server/src/secrets/redact.js";

/** What the suite's secret is: it must show nowhere the API reaches, and it does show in Locust's own log. */
const SECRET = "sk-live-7f3a9c2e-LEAK-CANARY";

const LOCUSTFILE = `
import itertools, os, uuid
from locust import HttpUser, constant, task
from lib.helpers import login_path

KEY = os.environ["SHOP_API_KEY"]
GREETING = os.environ.get("GREETING", "none")
# A token per Locust process: which worker sent a request.
WORKER = uuid.uuid4().hex[:12]
print("loadmgr-test: using key", KEY, flush=True)
# The forms a script's traffic gives it: quoted either way, and base64 (a Basic header, a JWT part).
from base64 import b64encode
from urllib.parse import quote, quote_plus
print("loadmgr-test: encoded", quote(KEY + " x!"), quote_plus(KEY + " x!"), b64encode(KEY.encode()).decode(), flush=True)

with open("data/users.csv") as handle:
    ROWS = [line.strip().split(",") for line in handle.read().splitlines()[1:] if line.strip()]
NEXT = itertools.cycle(ROWS) if ROWS else None
with open("data/products.csv") as handle:
    PRODUCTS = handle.read().splitlines()[1:]


class Shopper(HttpUser):
    wait_time = constant(0.2)

    def on_start(self):
        self.client.get(f"/env/{GREETING}/{len(PRODUCTS)}", name="/env")

    @task(3)
    def login(self):
        if NEXT is not None:
            name, _password = next(NEXT)
            self.client.get(login_path(name, WORKER), name="/login", headers={"x-api-key": KEY})

    @task(1)
    def leak(self):
        # A script that fails with its secret: in the URL, and so in the endpoint name and the error.
        self.client.get(f"/fail?key={KEY}")
`;

const HELPERS = `
def login_path(name, worker):
    return f"/login/{name}/{worker}"
`;

const USERS = [
  "name,password",
  ...Array.from({ length: 12 }, (_, i) => `user${String(i + 1).padStart(2, "0")},pw${i}`),
];
const b64 = (text: string): string => Buffer.from(text, "utf-8").toString("base64");

/** Long enough that, once a stage has had its shape tick (1 s) and its spawning, a few snapshots (1 s) fall inside it. */
const STAGES = [
  { durationSec: 7, users: 3, spawnRate: 20 },
  { durationSec: 7, users: 9, spawnRate: 20 },
  { durationSec: 7, users: 3, spawnRate: 20 },
];

describe("a test as a project: files, a split CSV, a secret, parameters and stages on real Locust", () => {
  let target: TargetApp;
  let other: TargetApp;
  let server: TestServer;
  let api: ReturnType<typeof restClient>;
  let live: LoadManagerClient;

  before(async () => {
    target = await startTargetApp();
    other = await startTargetApp();
    // Three Locust workers beside the master on this host.
    server = await startTestServer(
      { runner: { metricsIntervalSec: 1, guardGraceSec: 30, local: { workers: 3 } } },
      { role: "all" },
    );
    api = restClient(server.url);
    live = liveClient(server.url, ADMIN_TOKEN);
  });
  after(async () => {
    await server.close();
    await target.close();
    await other.close();
  });

  it("runs a multi-file suite with three workers: each CSV row to one worker, stages followed, the secret nowhere", async () => {
    const secret = await api.put(`/v1/secrets/SHOP_API_KEY`, { ...SCOPE, value: SECRET });
    assert.equal(secret.status, 200, JSON.stringify(secret.body));
    assert.equal(JSON.stringify(secret.body).includes(SECRET), false);

    const created = await api.post<LoadTest>("/v1/load-tests", {
      ...SCOPE,
      name: "shop suite",
      targetUrl: target.url,
      scriptContent: encodeScript(LOCUSTFILE),
      files: [
        { path: "lib/helpers.py", contentBase64: b64(HELPERS) },
        { path: "data/users.csv", contentBase64: b64(`${USERS.join("\n")}\n`), split: true },
        { path: "data/products.csv", contentBase64: b64("sku\nA1\nB2\nC3\n") },
      ],
      secrets: ["SHOP_API_KEY"],
      env: { GREETING: "hello" },
      defaultStages: STAGES,
      maxDurationSec: 600,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const test = created.body;
    const revision = await api.get<ScriptRevision>(`/v1/load-tests/${test.id}/script`);
    assert.deepEqual(
      revision.body.files.map((f) => [f.path, f.split]),
      [
        ["data/products.csv", false],
        ["data/users.csv", true],
        ["lib/helpers.py", false],
      ],
    );

    // The run's own target and parameter over the test's; the test's stages as its load.
    const run = await startRun(api, test.id, { targetUrl: other.url, env: { GREETING: "bye" }, tags: ["e2e"] });
    const requestLog = collect<RequestLogBatch>(live.runs.onRequestLog, { runId: run.id });
    assert.deepEqual(run.stages, STAGES);
    assert.deepEqual([run.targetUsers, run.durationSec], [9, 21]);
    assert.deepEqual(
      [run.targetUrl, run.env, run.secrets, run.tags],
      [other.url, { GREETING: "bye" }, ["SHOP_API_KEY"], ["e2e"]],
    );

    const done = await waitForRun(api, run.id, ended, 90_000);
    assert.equal(done.status, "Finished", done.failureReason ?? "");
    assert.equal(target.hits.size, 0, "the run loaded its own target, not the test's");

    // Parameters: the run's override reached the script; the unsplit file is whole in every worker.
    assert.ok((other.hits.get("/env/bye/3") ?? 0) >= 3, JSON.stringify([...other.hits.keys()].slice(0, 20)));
    assert.equal(other.hits.get("/env/hello/3"), undefined);

    // The split CSV: every row was used, each by exactly one worker, and every worker had rows.
    const workersByUser = new Map<string, Set<string>>();
    for (const path of other.hits.keys()) {
      const m = /^\/login\/(user\d\d)\/([0-9a-f]{12})$/.exec(path);
      if (m?.[1] === undefined || m[2] === undefined) continue;
      const set = workersByUser.get(m[1]) ?? new Set<string>();
      set.add(m[2]);
      workersByUser.set(m[1], set);
    }
    assert.deepEqual(
      [...workersByUser.keys()].sort(),
      USERS.slice(1).map((row) => row.split(",")[0]),
    );
    for (const [user, workers] of workersByUser)
      assert.equal(workers.size, 1, `${user} was used by ${workers.size} workers`);
    const workers = new Set([...workersByUser.values()].flatMap((s) => [...s]));
    assert.equal(workers.size, 3, "each of the three workers had its own share");

    // Stages: once a stage has had time to get there (a shape tick, then spawning), each snapshot shows its users.
    const series = await api.get<Timeseries>(`/v1/runs/${run.id}/metrics/timeseries?limit=500`);
    assert.equal(series.status, 200);
    const start = done.startedAt ?? 0;
    let stageStart = start;
    for (const stage of STAGES) {
      const stageEnd = stageStart + stage.durationSec * 1000;
      const inside = series.body.points.filter(
        (p) => p.timestamp >= stageStart + 3000 && p.timestamp <= stageEnd - 300,
      );
      assert.ok(inside.length >= 2, `snapshots in the stage of ${stage.users} users: ${inside.length}`);
      assert.deepEqual(
        inside.map((p) => p.users),
        inside.map(() => stage.users),
        `users from ${stageStart - start} ms to ${stageEnd - start} ms`,
      );
      stageStart = stageEnd;
    }

    // The secret: the script printed it, plain and encoded, and failed requests with it, yet it is in no
    // file of the run on the generator's disk (Locust's log, its CSVs) nor in anything the API answers.
    const dir = runDir(server, run.id);
    const log = readFileSync(join(dir, "locust.log"), "utf-8");
    assert.match(log, /loadmgr-test: using key \*\*\*/, "the script printed its secret, hidden on its way to the log");
    assert.match(log, /loadmgr-test: encoded \*\*\*%20x%21 \*\*\*\+x%21 \*\*\*/, "and its encodings");
    const forms = secretForms(SECRET);
    for (const file of [
      "locust.log",
      "work/locust_stats.csv",
      "work/locust_failures.csv",
      "work/locust_stats_history.csv",
    ]) {
      const text = readFileSync(join(dir, file), "utf-8");
      for (const form of forms) assert.equal(text.includes(form), false, `${file} holds the secret as ${form}`);
    }
    assert.match(readFileSync(join(dir, "work/locust_stats.csv"), "utf-8"), /\/fail\?key=\*\*\*/);
    // Nor is it kept in clear at rest: the runner passed it in the supervisor's environment, not its spec.
    const spec = readFileSync(join(dir, "spec.json"), "utf-8");
    assert.equal(spec.includes(SECRET), false, "spec.json holds the secret");
    assert.match(spec, /"env": ?\{"GREETING": ?"bye"\}/);
    const answers = await Promise.all(
      [
        `/v1/runs/${run.id}`,
        `/v1/runs/${run.id}/summary`,
        `/v1/runs/${run.id}/requests`,
        `/v1/runs/${run.id}/requests.csv`,
        `/v1/runs/${run.id}/metrics/aggregate`,
        `/v1/runs/${run.id}/metrics/timeseries.csv`,
        `/v1/runs/${run.id}/metrics/timeseries?limit=500`,
        `/v1/load-tests/${test.id}`,
        `/v1/secrets?accountId=${SCOPE.accountId}&orgId=${SCOPE.orgId}&projectId=${SCOPE.projectId}`,
      ].map(async (path) => {
        const res = await fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${ADMIN_TOKEN}` } });
        return { path, status: res.status, text: await res.text() };
      }),
    );
    for (const answer of answers) {
      assert.equal(answer.status, 200, `${answer.path}: ${answer.text.slice(0, 300)}`);
      assert.equal(answer.text.includes(SECRET), false, `${answer.path} shows the secret`);
      assert.equal(answer.text.includes(encodeURIComponent(SECRET)), false, `${answer.path} shows it encoded`);
    }
    const requests = answers.find((a) => a.path.endsWith("/requests"))?.text ?? "";
    assert.ok(requests.includes("/fail?key=***"), "the endpoint named after the secret is shown redacted");
    const aggregate = answers.find((a) => a.path.endsWith("/aggregate"))?.text ?? "";
    assert.match(aggregate, /"error":"[^"]*\/fail\?key=\*\*\*/, "the error naming the secret is shown redacted");
    // The live request log, as the run page's subscriber got it.
    requestLog.stop();
    const samples = requestLog.events.flatMap((e) => e.data.samples);
    assert.ok(samples.length > 0, "the request log had samples");
    assert.equal(JSON.stringify(samples).includes(SECRET), false, "the request log shows the secret");
    assert.ok(
      samples.some((s) => JSON.stringify(s).includes("key=***")),
      "a failed request's sample is redacted",
    );
  });

  it("fails a run whose script dies with its secret, and its failure reason hides it", async () => {
    const script = `import os\nraise RuntimeError("cannot reach the shop with key " + os.environ["SHOP_API_KEY"])\n`;
    const created = await api.post<LoadTest>("/v1/load-tests", {
      ...SCOPE,
      name: "dies with its secret",
      targetUrl: target.url,
      scriptContent: encodeScript(script),
      secrets: ["SHOP_API_KEY"],
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const run = await startRun(api, created.body.id, { durationSec: 5 });
    const done = await waitForRun(api, run.id, ended, 60_000);
    assert.equal(done.status, "Failed");
    assert.match(done.failureReason ?? "", /RuntimeError: cannot reach the shop with key \*\*\*/);
    assert.equal(JSON.stringify(done).includes(SECRET), false);
    const listed = await api.get<{ items: LoadTestRun[] }>(`/v1/runs?loadTestId=${created.body.id}`);
    assert.equal(JSON.stringify(listed.body).includes(SECRET), false);
  });
});
