import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { MAX_RECENT_RUNS, type LoadTest, type RunMetricsSummary } from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../test/helpers/fixtures.js";
import type { Store } from "./store.js";

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
      await store.createLoadTest(test, revision);
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
      await store.createLoadTest(test, revision);
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
      const second = await store.addScriptRevision({
        id: randomUUID(),
        loadTestId: test.id,
        scriptContent: "cHJpbnQoMik=",
        description: "second",
        createdAt: test.createdAt + 10,
        createdBy: "bob",
      });
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
      assert.equal(
        await store.addScriptRevision({ ...(second ?? test), id: randomUUID(), loadTestId: randomUUID() }),
        undefined,
      );
    });

    it("gives 20 concurrent script edits 20 distinct, gapless revision numbers", async () => {
      const test = await newTest();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.addScriptRevision({
            id: randomUUID(),
            loadTestId: test.id,
            scriptContent: Buffer.from(`print(${i})`).toString("base64"),
            description: `edit ${i}`,
            createdAt: test.createdAt + i,
            createdBy: `user-${i}`,
          }),
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
        assert.equal(await store.createRun(run), true);
        runs.push(run);
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
    });

    it("keeps every entry when runs are created concurrently", async () => {
      const test = await newTest();
      const runs = Array.from({ length: 8 }, (_, i) => makeRun(test, { createdAt: test.createdAt + i }));
      const created = await Promise.all(runs.map((r) => store.createRun(r)));
      assert.ok(created.every(Boolean));
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => r.id),
        [...runs].reverse().map((r) => r.id),
      );
    });

    it("refuses a run for a test that does not exist, storing nothing", async () => {
      const { test } = makeLoadTest();
      const run = makeRun(test);
      assert.equal(await store.createRun(run), false);
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
      };
      const finished = await store.transitionRun(run.id, "Finished", {
        finishedAt: run.createdAt + 200,
        updatedAt: run.createdAt + 200,
        updatedBy: "runner",
        verdict,
      });
      assert.equal(finished?.status, "Finished");
      assert.deepEqual(finished?.verdict, verdict);
      assert.deepEqual((await store.getRun(run.id))?.verdict, verdict);
      assert.equal(await store.transitionRun(run.id, "Running", { updatedAt: 1, updatedBy: "x" }), undefined);
      assert.equal((await store.getRun(run.id))?.status, "Finished");
      const stored = await store.getLoadTest(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => [r.id, r.status, r.finishedAt]),
        [
          [other.id, "Pending", null],
          [run.id, "Finished", run.createdAt + 200],
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
  });
}
