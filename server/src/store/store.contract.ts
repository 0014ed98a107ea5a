import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import {
  MAX_RECENT_RUNS,
  MAX_SCHEDULE_TICKS,
  type LoadTest,
  type RunMetricsSummary,
  type Schedule,
  type ScheduleTick,
  type WebhookDelivery,
} from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../test/helpers/fixtures.js";
import { MAX_DELIVERY_LOG, type Store, type WebhookRecord } from "./store.js";

const PAGE = { limit: 50 };

/** The behaviour every entity Store must have. Each driver's test file calls this with a real database. */
export function storeContract(name: string, open: () => Promise<{ store: Store; close: () => Promise<void> }>): void {
  describe(`Entity store contract: ${name}`, () => {
    let store: Store;
    let close: () => Promise<void>;

    before(async () => {
      ({ store, close } = await open());
      await store.init();
      await store.init(); // idempotent
    });
    after(() => close());

    async function newTest(overrides: Partial<LoadTest> = {}): Promise<LoadTest> {
      const { test, revision } = makeLoadTest({ accountId: `acc-${randomUUID()}`, ...overrides });
      await store.createLoadTest(test, revision, []);
      return test;
    }

    it("answers ping", async () => {
      await store.ping();
    });

    it("stores a test with every field and its revision 1", async () => {
      const { test, revision } = makeLoadTest({
        tags: ["smoke", "checkout"],
        envId: "staging",
        locustClusterId: "cluster-1",
        scenarioId: "scn",
        metadata: { owner: "team-a", nested: { n: 1 } },
        defaultSpawnRate: 2.5,
      });
      await store.createLoadTest(test, revision, []);
      assert.deepEqual(await store.getLoadTest(test.id), test);
      assert.deepEqual(await store.getScriptRevision(test.id, revision.id), revision);
      assert.equal(await store.getLoadTest(randomUUID()), undefined);
    });

    it("lists newest first with hierarchy, env and any-of tag filters", async () => {
      const accountId = `acc-${randomUUID()}`;
      const base = Date.now();
      const a = await newTest({ accountId, orgId: "o1", projectId: "p1", tags: ["x"], createdAt: base });
      const b = await newTest({
        accountId,
        orgId: "o1",
        projectId: "p2",
        tags: ["y"],
        envId: "prod",
        createdAt: base + 1,
      });
      const c = await newTest({ accountId, orgId: "o2", projectId: "p3", tags: ["x", "z"], createdAt: base + 2 });
      const ids = async (filter: Parameters<Store["listLoadTests"]>[0]): Promise<string[]> =>
        (await store.listLoadTests({ accountId, ...filter }, PAGE)).items.map((t) => t.id);
      assert.deepEqual(await ids({}), [c.id, b.id, a.id]);
      assert.deepEqual(await ids({ orgId: "o1" }), [b.id, a.id]);
      assert.deepEqual(await ids({ orgId: "o1", projectId: "p2" }), [b.id]);
      assert.deepEqual(await ids({ envId: "prod" }), [b.id]);
      assert.deepEqual(await ids({ tags: ["x"] }), [c.id, a.id]);
      assert.deepEqual(await ids({ tags: ["y", "z"] }), [c.id, b.id]);
      assert.deepEqual(await ids({ tags: ["none"] }), []);
    });

    it("pages by cursor and by offset without gaps or repeats, ties broken by id", async () => {
      const accountId = `acc-${randomUUID()}`;
      const createdAt = Date.now();
      const created: LoadTest[] = [];
      for (let i = 0; i < 7; i++) created.push(await newTest({ accountId, createdAt: createdAt + (i % 3) }));
      const expected = [...created]
        .sort((x, y) => y.createdAt - x.createdAt || (x.id < y.id ? 1 : -1))
        .map((t) => t.id);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await store.listLoadTests({ accountId }, { limit: 3, cursor });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(seen, expected);
      const byOffset = await store.listLoadTests({ accountId }, { limit: 2, offset: 3 });
      assert.deepEqual(
        byOffset.items.map((t) => t.id),
        expected.slice(3, 5),
      );
      await assert.rejects(
        store.listLoadTests({ accountId }, { limit: 2, offset: 1, cursor: "x" }),
        /either cursor or offset/,
      );
      await assert.rejects(store.listLoadTests({ accountId }, { limit: 2, cursor: "not-a-cursor" }), /cursor/);
    });

    it("updates only the given fields", async () => {
      const test = await newTest();
      const updated = await store.updateLoadTest(test.id, {
        name: "renamed",
        tags: ["t"],
        envId: null,
        updatedAt: test.updatedAt + 5,
        updatedBy: "editor",
      });
      assert.deepEqual(updated, {
        ...test,
        name: "renamed",
        tags: ["t"],
        updatedAt: test.updatedAt + 5,
        updatedBy: "editor",
      });
      assert.deepEqual(await store.getLoadTest(test.id), updated);
      assert.equal(await store.updateLoadTest(randomUUID(), { updatedAt: 1, updatedBy: "x" }), undefined);
    });

    it("appends revisions, moves latest, lists newest first", async () => {
      const test = await newTest();
      const second = await store.addScriptRevision(
        {
          id: randomUUID(),
          loadTestId: test.id,
          scriptContent: "cHJpbnQoMik=",
          files: [],
          description: "second",
          createdAt: test.createdAt + 10,
          createdBy: "bob",
        },
        [],
      );
      assert.equal(second?.revisionNumber, 2);
      const stored = await store.getLoadTest(test.id);
      assert.equal(stored?.latestRevisionId, second?.id);
      assert.equal(stored?.latestRevisionNumber, 2);
      assert.equal(stored?.updatedBy, "bob");
      const list = await store.listScriptRevisions(test.id, PAGE);
      assert.deepEqual(
        list.items.map((r) => r.revisionNumber),
        [2, 1],
      );
      const first = await store.listScriptRevisions(test.id, { limit: 1 });
      assert.equal(first.items[0]?.revisionNumber, 2);
      const rest = await store.listScriptRevisions(test.id, { limit: 1, cursor: first.nextCursor });
      assert.equal(rest.items[0]?.revisionNumber, 1);
      assert.equal(rest.nextCursor, undefined);
      assert.equal(await store.getScriptRevision(randomUUID(), second?.id ?? ""), undefined);
      assert.ok(second);
      assert.equal(
        await store.addScriptRevision({ ...second, id: randomUUID(), loadTestId: randomUUID() }, []),
        undefined,
      );
    });

    it("keeps a revision's files, returns them by path, and deletes them with the test", async () => {
      const test = await newTest();
      const big = Buffer.alloc(3 * 1024 * 1024, 7);
      const files = [
        { path: "data/users.csv", content: Buffer.from("name\nann\nbob\n") },
        { path: "lib/helpers.py", content: Buffer.from("X = 1\n") },
        { path: "blob.bin", content: big },
      ];
      const infos = files.map((f) => ({ path: f.path, sizeBytes: f.content.length, sha256: "x", split: false }));
      const revision = await store.addScriptRevision(
        {
          id: randomUUID(),
          loadTestId: test.id,
          scriptContent: "cHJpbnQoMik=",
          files: infos,
          description: "files",
          createdAt: test.createdAt + 1,
          createdBy: "bob",
        },
        files,
      );
      assert.ok(revision);
      assert.deepEqual((await store.getScriptRevision(test.id, revision.id))?.files, infos);
      const all = await store.getScriptFiles(revision.id);
      assert.deepEqual(
        all.map((f) => f.path),
        ["blob.bin", "data/users.csv", "lib/helpers.py"],
      );
      assert.ok(all[0]?.content.equals(big));
      const one = await store.getScriptFiles(revision.id, ["lib/helpers.py", "nope"]);
      assert.deepEqual(one, [{ path: "lib/helpers.py", content: Buffer.from("X = 1\n") }]);
      assert.deepEqual(await store.getScriptFiles(test.latestRevisionId), []);
      assert.equal(await store.deleteLoadTest(test.id), true);
      assert.deepEqual(await store.getScriptFiles(revision.id), []);
    });

    it("stores secrets per scope and name, lists an env's with the project's, never mixes projects", async () => {
      const scope = { accountId: `acc-${randomUUID()}`, orgId: "o", projectId: "p" };
      const base = { createdAt: 1, createdBy: "ann", updatedAt: 1, updatedBy: "ann" };
      assert.equal(await store.putSecret({ ...scope, ...base, name: "KEY", envId: null, ciphertext: "c1" }), true);
      assert.equal(await store.putSecret({ ...scope, ...base, name: "KEY", envId: "prod", ciphertext: "c2" }), true);
      assert.equal(await store.putSecret({ ...scope, ...base, name: "OTHER", envId: "dev", ciphertext: "c3" }), true);
      await store.putSecret({ ...scope, projectId: "p2", ...base, name: "KEY", envId: null, ciphertext: "c4" });
      // A replace keeps who created it and when.
      assert.equal(
        await store.putSecret({
          ...scope,
          ...base,
          name: "KEY",
          envId: null,
          ciphertext: "c5",
          updatedAt: 9,
          updatedBy: "bob",
        }),
        false,
      );
      const all = await store.listSecrets(scope);
      assert.deepEqual(
        all.map((s) => [s.name, s.envId, s.ciphertext]),
        [
          ["KEY", null, "c5"],
          ["KEY", "prod", "c2"],
          ["OTHER", "dev", "c3"],
        ],
      );
      assert.deepEqual(
        all.map((s) => [s.createdBy, s.updatedBy]),
        [
          ["ann", "bob"],
          ["ann", "ann"],
          ["ann", "ann"],
        ],
      );
      assert.deepEqual(
        (await store.listSecrets(scope, "prod")).map((s) => [s.name, s.envId]),
        [
          ["KEY", null],
          ["KEY", "prod"],
        ],
      );
      assert.deepEqual(
        (await store.listSecrets(scope, null)).map((s) => s.envId),
        [null],
      );
      assert.equal(await store.deleteSecret(scope, "prod", "KEY"), true);
      assert.equal(await store.deleteSecret(scope, "prod", "KEY"), false);
      assert.deepEqual(
        (await store.listSecrets(scope)).map((s) => s.ciphertext),
        ["c5", "c3"],
      );
    });

    it("keeps webhooks by scope, changes and deletes them, and keeps the newest of each one's delivery log", async () => {
      const accountId = `acc-${randomUUID()}`;
      const hook = (projectId: string, createdAt: number): WebhookRecord => ({
        id: randomUUID(),
        accountId,
        orgId: "org",
        projectId,
        envId: null,
        url: "https://hooks.example/x",
        events: ["run.finished", "threshold.breached"],
        format: "json",
        enabled: true,
        secretCiphertext: "sealed",
        createdAt,
        createdBy: "alice",
        updatedAt: createdAt,
        updatedBy: "alice",
      });
      const [a, b, c] = [hook("shop", 1), hook("shop", 2), hook("other", 3)];
      for (const h of [b, a, c]) if (h !== undefined) await store.createWebhook(h);
      assert.ok(a !== undefined && b !== undefined && c !== undefined);
      assert.deepEqual(await store.getWebhook(a.id), a);
      assert.deepEqual(
        (await store.listWebhooks({ accountId, orgId: "org", projectId: "shop" })).map((h) => h.id),
        [a.id, b.id],
      );
      const changed = await store.updateWebhook(a.id, {
        enabled: false,
        events: ["run.failed"],
        envId: "prod",
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.deepEqual(changed, {
        ...a,
        enabled: false,
        events: ["run.failed"],
        envId: "prod",
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.equal(await store.updateWebhook(randomUUID(), { updatedAt: 1, updatedBy: "x" }), undefined);

      const attempt = (n: number, webhookId = a.id): WebhookDelivery => ({
        id: randomUUID(),
        deliveryId: "d1",
        webhookId,
        event: "run.finished",
        runId: "run-1",
        attempt: 1,
        at: 1000 + n,
        statusCode: n % 2 === 0 ? 200 : null,
        error: n % 2 === 0 ? null : "connect ECONNREFUSED",
        durationMs: 3,
        nextAttemptAt: null,
      });
      const many = Array.from({ length: MAX_DELIVERY_LOG + 5 }, (_, n) => attempt(n));
      for (const d of many) await store.addWebhookDelivery(d);
      await store.addWebhookDelivery(attempt(0, b.id));
      const log = await store.listWebhookDeliveries(a.id, MAX_DELIVERY_LOG + 50);
      assert.equal(log.length, MAX_DELIVERY_LOG);
      assert.deepEqual(log[0], many.at(-1));
      assert.deepEqual(log.at(-1), many[5]);
      assert.deepEqual(
        (await store.listWebhookDeliveries(a.id, 2)).map((d) => d.at),
        [1000 + MAX_DELIVERY_LOG + 4, 1000 + MAX_DELIVERY_LOG + 3],
      );
      assert.equal(await store.deleteWebhook(a.id), true);
      assert.equal(await store.deleteWebhook(a.id), false);
      assert.equal(await store.getWebhook(a.id), undefined);
      assert.deepEqual(await store.listWebhookDeliveries(a.id, 10), []);
      assert.equal((await store.listWebhookDeliveries(b.id, 10)).length, 1);
    });

    it("keeps a test's schedules, changes them, keeps their newest ticks under concurrent ticks, and deletes them with the test", async () => {
      const test = await newTest();
      const schedule = (createdAt: number): Schedule => ({
        id: randomUUID(),
        loadTestId: test.id,
        accountId: test.accountId,
        orgId: test.orgId,
        projectId: test.projectId,
        cron: "0 2 * * *",
        timezone: "Europe/Berlin",
        enabled: true,
        overrides: { targetUsers: 5, env: { REGION: "eu" } },
        thresholds: [{ threshold: "p95<300", abortOnFail: true, windowSec: 30 }],
        nextRunAt: 5000,
        ticks: [],
        createdAt,
        createdBy: "alice",
        updatedAt: createdAt,
        updatedBy: "alice",
      });
      const [a, b] = [schedule(2), schedule(1)];
      assert.ok(a !== undefined && b !== undefined);
      await store.createSchedule(a);
      await store.createSchedule(b);
      assert.deepEqual(await store.getSchedule(a.id), a);
      assert.deepEqual(
        (await store.listSchedules(test.id)).map((x) => x.id),
        [b.id, a.id],
      );
      assert.ok((await store.listSchedules()).some((x) => x.id === a.id));
      const changed = await store.updateSchedule(a.id, {
        enabled: false,
        nextRunAt: null,
        updatedAt: 9,
        updatedBy: "bob",
      });
      assert.deepEqual(changed, { ...a, enabled: false, nextRunAt: null, updatedAt: 9, updatedBy: "bob" });
      const ticks = Array.from({ length: MAX_SCHEDULE_TICKS + 5 }, (_, i) => ({
        at: 1000 + i,
        outcome: "skipped" as const,
        runId: null,
        reason: `tick ${i}`,
      }));
      await Promise.all(ticks.map((tick) => store.recordScheduleTick(b.id, tick, 7000)));
      const recorded = await store.getSchedule(b.id);
      assert.equal(recorded?.ticks.length, MAX_SCHEDULE_TICKS, "none lost to a race, the oldest dropped");
      assert.equal(recorded?.nextRunAt, 7000);
      assert.equal(await store.recordScheduleTick(randomUUID(), ticks[0] as ScheduleTick, null), undefined);
      assert.equal(await store.deleteSchedule(a.id), true);
      assert.equal(await store.deleteSchedule(a.id), false);
      await store.deleteLoadTest(test.id);
      assert.deepEqual(await store.listSchedules(test.id), []);
    });

    it("gives 20 concurrent script edits 20 distinct, gapless revision numbers", async () => {
      const test = await newTest();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.addScriptRevision(
            {
              id: randomUUID(),
              loadTestId: test.id,
              scriptContent: Buffer.from(`print(${i})`).toString("base64"),
              files: [],
              description: `edit ${i}`,
              createdAt: test.createdAt + i,
              createdBy: `user-${i}`,
            },
            [],
          ),
        ),
      );
      const numbers = results.map((r) => r?.revisionNumber ?? -1).sort((x, y) => x - y);
      assert.deepEqual(
        numbers,
        Array.from({ length: 20 }, (_, i) => i + 2),
      );
      const stored = await store.getLoadTest(test.id);
      assert.equal(stored?.latestRevisionNumber, 21);
      assert.equal(stored?.latestRevisionId, results.find((r) => r?.revisionNumber === 21)?.id);
      const all = await store.listScriptRevisions(test.id, { limit: 100 });
      assert.equal(all.items.length, 21);
      assert.equal(new Set(all.items.map((r) => r.id)).size, 21);
    });

    it("creates runs at the front of recentRuns, at most ten, one entry per run", async () => {
      const test = await newTest();
      const runs = [];
      for (let i = 0; i < 12; i++) {
        const run = makeRun(test, { createdAt: test.createdAt + i, name: `run ${i}` });
        const created = await store.createRun(run);
        assert.equal(created?.number, i + 1);
        runs.push({ ...run, number: i + 1 });
      }
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => r.name),
        runs
          .slice(2)
          .reverse()
          .map((r) => r.name),
      );
      assert.equal(stored?.recentRuns.length, MAX_RECENT_RUNS);
      assert.deepEqual(await store.getRun(runs[0]?.id ?? ""), runs[0]);
      assert.equal(stored?.runCount, 12);
    });

    it("numbers a test's runs 1, 2, 3… also when created concurrently, and names an unnamed run after its number", async () => {
      const test = await newTest();
      const other = await newTest();
      const at = Date.UTC(2026, 11, 2, 5, 38, 9);
      const runs = Array.from({ length: 8 }, (_, i) => makeRun(test, { createdAt: at + i, name: "" }));
      const created = await Promise.all([...runs, makeRun(other, { name: "" })].map((r) => store.createRun(r)));
      assert.deepEqual(
        created
          .slice(0, 8)
          .map((r) => r?.number)
          .sort((a, b) => (a ?? 0) - (b ?? 0)),
        [1, 2, 3, 4, 5, 6, 7, 8],
      );
      assert.equal(created[8]?.number, 1, "numbers are per test");
      for (const run of created.slice(0, 8)) {
        assert.equal(run?.name, `#${run?.number ?? 0} · 2 Dec 05:38`);
        assert.deepEqual(await store.getRun(run?.id ?? ""), run);
      }
      assert.equal((await store.getLoadTest(test.id))?.runCount, 8);
      assert.equal((await store.getLoadTest(other.id))?.runCount, 1);
    });

    it("counts tests and runs per account, org, project and env, within a filter", async () => {
      const account = `acct-${randomUUID().slice(0, 8)}`;
      const tests = [];
      for (const [orgId, projectId, envId] of [
        ["o1", "p1", null],
        ["o1", "p1", "prod"],
        ["o1", "p1", "prod"],
        ["o2", "p9", null],
      ] as const) {
        const { test, revision } = makeLoadTest({ accountId: account, orgId, projectId, envId });
        await store.createLoadTest(test, revision, []);
        tests.push(test);
      }
      for (const test of [tests[1], tests[1], tests[3]]) if (test !== undefined) await store.createRun(makeRun(test));
      assert.deepEqual(await store.countByScope({ accountId: account }), [
        { accountId: account, orgId: "o1", projectId: "p1", envId: null, tests: 1, runs: 0 },
        { accountId: account, orgId: "o1", projectId: "p1", envId: "prod", tests: 2, runs: 2 },
        { accountId: account, orgId: "o2", projectId: "p9", envId: null, tests: 1, runs: 1 },
      ]);
      assert.deepEqual(
        (await store.countByScope({ accountId: account, orgId: "o2" })).map((s) => s.projectId),
        ["p9"],
      );
      assert.deepEqual(await store.countByScope({ accountId: `${account}-none` }), []);
    });

    it("lists runs by their own tag, and runs created from a time on", async () => {
      const account = `acc-${randomUUID()}`;
      const [a, b, c] = [
        await newTest({ accountId: account }),
        await newTest({ accountId: account }),
        await newTest({ accountId: account }),
      ];
      const t0 = a.createdAt;
      for (const [test, at, tags] of [
        [a, t0 + 1, ["nightly", "eu"]],
        [b, t0 + 2, ["nightly"]],
        [c, t0 + 3, ["eu"]],
        [a, t0 + 4, ["eu"]],
      ] as const)
        await store.createRun(makeRun(test, { createdAt: at, tags: [...tags] }));
      const tagged = await store.listRuns({ accountId: account, tag: "eu" }, { limit: 10 });
      assert.deepEqual(
        tagged.items.map((r) => [r.loadTestId, r.createdAt]),
        [
          [a.id, t0 + 4],
          [c.id, t0 + 3],
          [a.id, t0 + 1],
        ],
      );
      const recent = await store.listRuns({ accountId: account, createdFrom: t0 + 2 }, { limit: 2 });
      assert.deepEqual(
        recent.items.map((r) => r.createdAt),
        [t0 + 4, t0 + 3],
      );
      const rest = await store.listRuns(
        { accountId: account, createdFrom: t0 + 2 },
        { limit: 2, cursor: recent.nextCursor },
      );
      assert.deepEqual(
        rest.items.map((r) => r.createdAt),
        [t0 + 2],
      );
      assert.deepEqual((await store.listRuns({ accountId: account, tag: "none" }, { limit: 10 })).items, []);
    });

    it("keeps every entry when runs are created concurrently", async () => {
      const test = await newTest();
      const runs = Array.from({ length: 8 }, (_, i) => makeRun(test, { createdAt: test.createdAt + i }));
      const created = await Promise.all(runs.map((r) => store.createRun(r)));
      assert.ok(created.every((r) => r !== undefined));
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => r.id),
        [...runs].reverse().map((r) => r.id),
      );
    });

    it("refuses a run for a test that does not exist, storing nothing", async () => {
      const { test } = makeLoadTest();
      const run = makeRun(test);
      assert.equal(await store.createRun(run), undefined);
      assert.equal(await store.getRun(run.id), undefined);
    });

    it("moves runs only along legal transitions and updates recentRuns in place", async () => {
      const test = await newTest();
      const run = makeRun(test, { thresholds: ["p95<300"] });
      const other = makeRun(test, { createdAt: run.createdAt + 1 });
      await store.createRun(run);
      await store.createRun(other);
      assert.deepEqual((await store.getRun(run.id))?.thresholds, ["p95<300"]);
      assert.equal(await store.transitionRun(run.id, "Finished", { updatedAt: 1, updatedBy: "x" }), undefined);
      const running = await store.transitionRun(run.id, "Running", {
        startedAt: run.createdAt + 100,
        updatedAt: run.createdAt + 100,
        updatedBy: "runner",
      });
      assert.equal(running?.status, "Running");
      assert.equal(running?.startedAt, run.createdAt + 100);
      const verdict = {
        passed: false,
        checkedAt: run.createdAt + 200,
        checks: [{ threshold: "p95<300", measured: 312.5, passed: false }],
        aborted: true,
        abortedBy: { threshold: "p95<300", measured: 450, windowSec: 10, atSec: 12, seq: 6 },
        baselineRunId: null,
        regressions: [{ endpoint: "Aggregated", metric: "p95" as const, baseline: 200, measured: 312.5, change: 56.3 }],
      };
      const results = {
        totalRequests: 1000,
        totalFailures: 10,
        requestsPerSec: 50,
        errorRatePercent: 1,
        avgResponseMs: 120.5,
        p50ResponseMs: 100,
        p95ResponseMs: 312.5,
        p99ResponseMs: 400,
        maxResponseMs: 812,
      };
      const finished = await store.transitionRun(run.id, "Finished", {
        finishedAt: run.createdAt + 200,
        updatedAt: run.createdAt + 200,
        updatedBy: "runner",
        verdict,
        results,
      });
      assert.equal(finished?.status, "Finished");
      assert.deepEqual(finished?.verdict, verdict);
      assert.deepEqual((await store.getRun(run.id))?.verdict, verdict);
      assert.deepEqual((await store.getRun(run.id))?.results, results);
      assert.equal(await store.transitionRun(run.id, "Running", { updatedAt: 1, updatedBy: "x" }), undefined);
      assert.equal((await store.getRun(run.id))?.status, "Finished");
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => [r.id, r.status, r.finishedAt, r.passed, r.results?.p95ResponseMs]),
        [
          [other.id, "Pending", null, null, undefined],
          [run.id, "Finished", run.createdAt + 200, false, 312.5],
        ],
      );
      assert.equal(await store.transitionRun(randomUUID(), "Running", { updatedAt: 1, updatedBy: "x" }), undefined);
    });

    it("records a Pending run's launch once, and never on a run that left Pending; counts runs by status", async () => {
      const before = await store.countRunsByStatus();
      const test = await newTest();
      const run = makeRun(test);
      await store.createRun(run);
      assert.equal((await store.getRun(run.id))?.launchedAt, null);
      const changes = { launchedAt: run.createdAt + 50, updatedAt: run.createdAt + 50, updatedBy: "loadmgr" };
      const results = await Promise.all([
        store.markRunLaunched(run.id, changes),
        store.markRunLaunched(run.id, changes),
      ]);
      assert.equal(results.filter((r) => r !== undefined).length, 1, "exactly one launch wins");
      const launched = results.find((r) => r !== undefined);
      assert.equal(launched?.status, "Pending");
      assert.equal(launched?.launchedAt, run.createdAt + 50);
      assert.equal((await store.getRun(run.id))?.launchedAt, run.createdAt + 50);
      const other = makeRun(test);
      await store.createRun(other);
      await store.transitionRun(other.id, "Stopped", { finishedAt: 1, updatedAt: 1, updatedBy: "x" });
      assert.equal(await store.markRunLaunched(other.id, changes), undefined);
      assert.equal((await store.getRun(other.id))?.launchedAt, null);
      assert.equal(await store.markRunLaunched(randomUUID(), changes), undefined);
      const counts = await store.countRunsByStatus();
      assert.equal((counts.Pending ?? 0) - (before.Pending ?? 0), 1, JSON.stringify({ before, counts }));
      assert.equal((counts.Stopped ?? 0) - (before.Stopped ?? 0), 1, JSON.stringify({ before, counts }));
      assert.equal(counts.Running ?? 0, before.Running ?? 0);
    });

    it("keeps each run's entry right under concurrent transitions of one test's runs", async () => {
      const test = await newTest();
      const runs = Array.from({ length: 6 }, (_, i) => makeRun(test, { createdAt: test.createdAt + i }));
      for (const run of runs) await store.createRun(run);
      await Promise.all(
        runs.map(async (run, i) => {
          await store.transitionRun(run.id, "Running", { startedAt: 1, updatedAt: 1, updatedBy: "r" });
          await store.transitionRun(run.id, i % 2 === 0 ? "Finished" : "Failed", {
            finishedAt: 2,
            updatedAt: 2,
            updatedBy: "r",
          });
        }),
      );
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => [r.id, r.status]),
        [...runs].reverse().map((r) => [r.id, runs.indexOf(r) % 2 === 0 ? "Finished" : "Failed"]),
      );
    });

    it("lists runs by test, hierarchy, env and status, and counts active ones", async () => {
      const test = await newTest({ envId: "prod" });
      const otherTest = await newTest({ accountId: test.accountId, projectId: "other" });
      const r1 = makeRun(test, { createdAt: 1000 });
      const r2 = makeRun(test, { createdAt: 2000 });
      const r3 = makeRun(otherTest, { createdAt: 3000 });
      for (const r of [r1, r2, r3]) await store.createRun(r);
      await store.transitionRun(r1.id, "Failed", { finishedAt: 5, updatedAt: 5, updatedBy: "x" });
      const ids = async (filter: Parameters<Store["listRuns"]>[0]): Promise<string[]> =>
        (await store.listRuns(filter, PAGE)).items.map((r) => r.id);
      assert.deepEqual(await ids({ loadTestId: test.id }), [r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId }), [r3.id, r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, projectId: "other" }), [r3.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, envId: "prod" }), [r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, status: "Failed" }), [r1.id]);
      const paged = await store.listRuns({ accountId: test.accountId }, { limit: 2 });
      assert.deepEqual(
        paged.items.map((r) => r.id),
        [r3.id, r2.id],
      );
      assert.deepEqual(await ids({ accountId: test.accountId, ...{} }), [r3.id, r2.id, r1.id]);
      const next = await store.listRuns({ accountId: test.accountId }, { limit: 2, cursor: paged.nextCursor });
      assert.deepEqual(
        next.items.map((r) => r.id),
        [r1.id],
      );
      assert.equal(await store.countActiveRuns(test.id), 1);
    });

    it("keeps one baseline per test and env, also when set concurrently, and unmarks it", async () => {
      const test = await newTest();
      const other = await newTest({ accountId: test.accountId });
      const prod = [1, 2, 3, 4].map((i) => makeRun(test, { envId: "prod", createdAt: i }));
      const noEnv = makeRun(test, { envId: null, createdAt: 5 });
      const otherRun = makeRun(other, { envId: "prod", createdAt: 6 });
      for (const r of [...prod, noEnv, otherRun]) await store.createRun(r);
      const by = { updatedAt: 10, updatedBy: "alice" };
      assert.equal(await store.findBaselineRun(test.id, "prod"), undefined);
      assert.equal((await store.setRunBaseline(noEnv.id, true, by))?.baseline, true);
      assert.equal((await store.setRunBaseline(otherRun.id, true, by))?.baseline, true);
      await Promise.all(prod.map((r) => store.setRunBaseline(r.id, true, by)));
      const marked = (await store.listRuns({ loadTestId: test.id, envId: "prod" }, PAGE)).items.filter(
        (r) => r.baseline,
      );
      assert.equal(marked.length, 1, "one baseline in prod after concurrent sets");
      assert.equal((await store.findBaselineRun(test.id, "prod"))?.id, marked[0]?.id);
      // Other envs and other tests keep theirs.
      assert.equal((await store.findBaselineRun(test.id, null))?.id, noEnv.id);
      assert.equal((await store.findBaselineRun(other.id, "prod"))?.id, otherRun.id);
      const last = prod[3];
      assert.ok(last !== undefined);
      await store.setRunBaseline(last.id, true, { updatedAt: 11, updatedBy: "bob" });
      assert.equal((await store.findBaselineRun(test.id, "prod"))?.id, last.id);
      assert.equal((await store.getRun(last.id))?.updatedBy, "bob");
      assert.equal((await store.setRunBaseline(last.id, false, by))?.baseline, false);
      assert.equal(await store.findBaselineRun(test.id, "prod"), undefined);
      assert.equal(await store.setRunBaseline(randomUUID(), true, by), undefined);
    });

    it("adds load changes to a running run only, in order", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.createRun(run);
      const change = (targetUsers: number) => ({ at: targetUsers, targetUsers, spawnRate: 2, by: "alice" });
      assert.equal(await store.addLoadChange(run.id, change(5)), undefined, "a Pending run takes none");
      await store.transitionRun(run.id, "Running", { startedAt: 1, updatedAt: 1, updatedBy: "locust" });
      await store.addLoadChange(run.id, change(5));
      const changed = await store.addLoadChange(run.id, change(8));
      assert.deepEqual(changed?.loadChanges, [change(5), change(8)]);
      assert.deepEqual((await store.getRun(run.id))?.loadChanges, [change(5), change(8)]);
      await store.transitionRun(run.id, "Finished", { finishedAt: 2, updatedAt: 2, updatedBy: "locust" });
      assert.equal(await store.addLoadChange(run.id, change(9)), undefined, "an ended run takes none");
      assert.equal(await store.addLoadChange(randomUUID(), change(9)), undefined);
    });

    it("moves lastMetrics forward only", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.createRun(run);
      const summaryOf = (seq: number, timestamp: number): RunMetricsSummary => ({
        timestamp,
        seq,
        users: 10,
        requestsPerSec: 15,
        failuresPerSec: 0.5,
        totalRequests: 30 * seq,
        totalFailures: seq,
        avgResponseMs: 126,
      });
      await store.setLastMetrics(run.id, summaryOf(2, 2000));
      await store.setLastMetrics(run.id, summaryOf(1, 1000)); // late and older: ignored
      await store.setLastMetrics(run.id, { ...summaryOf(2, 2500), totalRequests: 999 }); // seq 2 again: ignored
      assert.deepEqual((await store.getRun(run.id))?.lastMetrics, summaryOf(2, 2000));
      await store.setLastMetrics(run.id, summaryOf(3, 3000));
      assert.equal((await store.getRun(run.id))?.lastMetrics?.seq, 3);
      await store.setLastMetrics("no-such-run", summaryOf(4, 4000)); // nothing to move, no error
    });

    it("deletes a test with its revisions and runs", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.createRun(run);
      assert.equal(await store.deleteLoadTest(test.id), true);
      assert.equal(await store.getLoadTest(test.id), undefined);
      assert.equal(await store.getRun(run.id), undefined);
      assert.deepEqual((await store.listScriptRevisions(test.id, PAGE)).items, []);
      assert.equal(await store.deleteLoadTest(test.id), false);
    });

    it("places a pool run once, then changes its placement only while it is active", async () => {
      const test = await newTest();
      const created = await store.createRun(makeRun(test, { agentPool: "pool-1", workers: null, labels: { a: "b" } }));
      assert.ok(created);
      assert.equal(created.agentPool, "pool-1");
      assert.deepEqual(created.labels, { a: "b" });
      const waiting = await store.updatePoolRun(
        created.id,
        { waitingReason: "waiting", updatedAt: 1, updatedBy: "x" },
        true,
      );
      assert.equal(waiting?.waitingReason, "waiting");
      const placement = [
        { agentId: "a1", agentName: "a", role: "master" as const, processes: 1, lostAt: null },
        { agentId: "a1", agentName: "a", role: "worker" as const, processes: 2, lostAt: null },
      ];
      const placed = await store.updatePoolRun(
        created.id,
        { placement, workers: 2, waitingReason: null, launchedAt: 5, updatedAt: 5, updatedBy: "x" },
        true,
      );
      assert.deepEqual(placed?.placement, placement);
      assert.equal(placed?.launchedAt, 5);
      // Placed once: a second placement (another job delivery) changes nothing.
      assert.equal(
        await store.updatePoolRun(created.id, { workers: 9, launchedAt: 6, updatedAt: 6, updatedBy: "x" }, true),
        undefined,
      );
      const warned = await store.updatePoolRun(
        created.id,
        { masterEndpoint: "10.0.0.2:5557", warnings: [{ at: 7, message: "lost" }], updatedAt: 7, updatedBy: "x" },
        false,
      );
      assert.equal(warned?.masterEndpoint, "10.0.0.2:5557");
      assert.equal(warned?.workers, 2);
      await store.transitionRun(created.id, "Failed", { finishedAt: 8, updatedAt: 8, updatedBy: "x" });
      assert.equal(
        await store.updatePoolRun(created.id, { warnings: [], updatedAt: 9, updatedBy: "x" }, false),
        undefined,
      );
      assert.deepEqual((await store.getRun(created.id))?.warnings, [{ at: 7, message: "lost" }]);
    });

    it("places a pool's runs one at a time: concurrent placements never count the same slot twice", async () => {
      const test = await newTest();
      const poolId = `pool-${randomUUID()}`;
      const runs = [];
      for (let i = 0; i < 8; i++) {
        runs.push(await store.createRun(makeRun(test, { agentPool: poolId, createdAt: 1000 + i })));
      }
      const other = await store.createRun(makeRun(test, { agentPool: `other-${randomUUID()}` }));
      const SLOTS = 3;
      const seen: number[] = [];
      const placed = await Promise.all(
        runs.map((run) =>
          store.placePoolRun(run?.id ?? "", poolId, (poolRuns) => {
            // The pool's runs only, each one once, this one among them.
            seen.push(poolRuns.length);
            assert.ok(poolRuns.every((r) => r.agentPool === poolId));
            assert.ok(poolRuns.some((r) => r.id === run?.id));
            if (poolRuns.filter((r) => r.launchedAt !== null).length >= SLOTS) return undefined;
            const entry = { agentId: "a1", agentName: "a", role: "worker" as const, processes: 1, lostAt: null };
            return { placement: [entry], launchedAt: 5, updatedAt: 5, updatedBy: "x" };
          }),
        ),
      );
      assert.equal(placed.filter((r) => r !== undefined).length, SLOTS);
      assert.deepEqual(seen, [8, 8, 8, 8, 8, 8, 8, 8]);
      assert.equal((await store.getRun(other?.id ?? ""))?.launchedAt, null);
      // A run placed already (or no longer Pending) is left as it is, whatever `decide` says.
      const again = await store.placePoolRun(placed.find((r) => r !== undefined)?.id ?? "", poolId, () => ({
        workers: 9,
        updatedAt: 6,
        updatedBy: "x",
      }));
      assert.equal(again, undefined);
    });

    it("keeps agent pools and their agents, by scope; a token's hash can be replaced or cleared", async () => {
      const accountId = `acc-${randomUUID()}`;
      const pool = {
        id: randomUUID(),
        name: "eu",
        accountId,
        orgId: "org",
        projectId: "proj",
        envId: null,
        tokenHash: "h1",
        retiredTokenHash: null,
        tokenRotatedAt: 1,
        createdAt: 1,
        createdBy: "me",
      };
      await store.createAgentPool(pool);
      await store.createAgentPool({ ...pool, id: randomUUID(), name: "us", projectId: "other", createdAt: 2 });
      assert.deepEqual(await store.getAgentPool(pool.id), pool);
      assert.deepEqual(
        (await store.listAgentPools({ accountId })).map((p) => p.name),
        ["eu", "us"],
      );
      assert.deepEqual(
        (await store.listAgentPools({ accountId, orgId: "org", projectId: "proj" })).map((p) => p.name),
        ["eu"],
      );
      assert.equal((await store.setAgentPoolToken(pool.id, null, 3))?.tokenHash, null);
      assert.equal((await store.setAgentPoolToken(pool.id, "h2", 4))?.tokenRotatedAt, 4);
      const rotated = await store.setAgentPoolToken(pool.id, "h3", 5, "h2");
      assert.deepEqual([rotated?.tokenHash, rotated?.retiredTokenHash], ["h3", "h2"]);
      assert.equal((await store.setAgentPoolToken(pool.id, null, 6))?.retiredTokenHash, null);
      assert.equal(await store.setAgentPoolToken("no-such-pool", "h", 5), undefined);

      const agent = {
        id: randomUUID(),
        poolId: pool.id,
        name: "gen-b",
        instanceId: "i1",
        capacity: 4,
        labels: { zone: "a" },
        version: "0.1.0",
        address: "10.0.0.2",
        inbound: false,
        connectedAt: 10,
        lastSeenAt: 10,
        waitMs: 25_000,
        runs: [],
      };
      await store.saveAgent(agent);
      await store.saveAgent({ ...agent, id: randomUUID(), name: "gen-a" });
      const report = { runId: "r1", role: "worker" as const, processes: 2, state: "running" as const };
      await store.saveAgent({ ...agent, lastSeenAt: 20, runs: [report] });
      assert.deepEqual(await store.getAgent(agent.id), { ...agent, lastSeenAt: 20, runs: [report] });
      assert.deepEqual(
        (await store.listAgents([pool.id])).map((a) => a.name),
        ["gen-a", "gen-b"],
      );
      assert.deepEqual(await store.listAgents([]), []);
      assert.equal((await store.findAgent(pool.id, "gen-b"))?.id, agent.id);
      assert.equal(await store.findAgent(pool.id, "gen-z"), undefined);
      assert.equal(await store.findAgent("other-pool", "gen-b"), undefined);

      // An agent forgotten, then the pool with the rest of its agents.
      assert.equal(await store.deleteAgent(agent.id), true);
      assert.equal(await store.deleteAgent(agent.id), false);
      assert.deepEqual(
        (await store.listAgents([pool.id])).map((a) => a.name),
        ["gen-a"],
      );
      assert.equal(await store.deleteAgentPool(pool.id), true);
      assert.equal(await store.getAgentPool(pool.id), undefined);
      assert.deepEqual(await store.listAgents([pool.id]), []);
      assert.equal(await store.deleteAgentPool(pool.id), false);
    });
  });
}
