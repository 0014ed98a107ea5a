import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { MAX_RECENT_RUNS, type RunMetricsSummary, type LoadTest } from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../../test/helpers/fixtures.js";
import { PAGE, newTestIn } from "../contractSupport.js";
import { type Store } from "../store.js";

/** What every run repository must do, on a store `get` answers once the contract's store is open. */
export function runsContract(get: () => Store): void {
  describe("Runs", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    const newTest = (overrides: Partial<LoadTest> = {}): Promise<LoadTest> => newTestIn(store, overrides);

    it("creates runs at the front of recentRuns, at most ten, one entry per run", async () => {
      const test = await newTest();
      const runs = [];
      for (let i = 0; i < 12; i++) {
        const run = makeRun(test, { createdAt: test.createdAt + i, name: `run ${i}` });
        const created = await store.runs.create(run);
        assert.equal(created?.number, i + 1);
        runs.push({ ...run, number: i + 1 });
      }
      const stored = await store.tests.get(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => r.name),
        runs
          .slice(2)
          .reverse()
          .map((r) => r.name),
      );
      assert.equal(stored?.recentRuns.length, MAX_RECENT_RUNS);
      assert.deepEqual(await store.runs.get(runs[0]?.id ?? ""), runs[0]);
      assert.equal(stored?.runCount, 12);
    });

    it("numbers a test's runs 1, 2, 3… also when created concurrently, and names an unnamed run after its number", async () => {
      const test = await newTest();
      const other = await newTest();
      const at = Date.UTC(2026, 11, 2, 5, 38, 9);
      const runs = Array.from({ length: 8 }, (_, i) => makeRun(test, { createdAt: at + i, name: "" }));
      const created = await Promise.all([...runs, makeRun(other, { name: "" })].map((r) => store.runs.create(r)));
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
        assert.deepEqual(await store.runs.get(run?.id ?? ""), run);
      }
      assert.equal((await store.tests.get(test.id))?.runCount, 8);
      assert.equal((await store.tests.get(other.id))?.runCount, 1);
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
        await store.runs.create(makeRun(test, { createdAt: at, tags: [...tags] }));
      const tagged = await store.runs.list({ accountId: account, tag: "eu" }, { limit: 10 });
      assert.deepEqual(
        tagged.items.map((r) => [r.loadTestId, r.createdAt]),
        [
          [a.id, t0 + 4],
          [c.id, t0 + 3],
          [a.id, t0 + 1],
        ],
      );
      const recent = await store.runs.list({ accountId: account, createdFrom: t0 + 2 }, { limit: 2 });
      assert.deepEqual(
        recent.items.map((r) => r.createdAt),
        [t0 + 4, t0 + 3],
      );
      const rest = await store.runs.list(
        { accountId: account, createdFrom: t0 + 2 },
        { limit: 2, cursor: recent.nextCursor },
      );
      assert.deepEqual(
        rest.items.map((r) => r.createdAt),
        [t0 + 2],
      );
      assert.deepEqual((await store.runs.list({ accountId: account, tag: "none" }, { limit: 10 })).items, []);
    });

    it("keeps every entry when runs are created concurrently", async () => {
      const test = await newTest();
      const runs = Array.from({ length: 8 }, (_, i) => makeRun(test, { createdAt: test.createdAt + i }));
      const created = await Promise.all(runs.map((r) => store.runs.create(r)));
      assert.ok(created.every((r) => r !== undefined));
      const stored = await store.tests.get(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => r.id),
        [...runs].reverse().map((r) => r.id),
      );
    });

    it("refuses a run for a test that does not exist, storing nothing", async () => {
      const { test } = makeLoadTest();
      const run = makeRun(test);
      assert.equal(await store.runs.create(run), undefined);
      assert.equal(await store.runs.get(run.id), undefined);
    });

    it("moves runs only along legal transitions and updates recentRuns in place", async () => {
      const test = await newTest();
      const run = makeRun(test, { thresholds: ["p95<300"] });
      const other = makeRun(test, { createdAt: run.createdAt + 1 });
      await store.runs.create(run);
      await store.runs.create(other);
      assert.deepEqual((await store.runs.get(run.id))?.thresholds, ["p95<300"]);
      assert.equal(await store.runs.transition(run.id, "Finished", { updatedAt: 1, updatedBy: "x" }), undefined);
      const running = await store.runs.transition(run.id, "Running", {
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
      const finished = await store.runs.transition(run.id, "Finished", {
        finishedAt: run.createdAt + 200,
        updatedAt: run.createdAt + 200,
        updatedBy: "runner",
        verdict,
        results,
      });
      assert.equal(finished?.status, "Finished");
      assert.deepEqual(finished?.verdict, verdict);
      assert.deepEqual((await store.runs.get(run.id))?.verdict, verdict);
      assert.deepEqual((await store.runs.get(run.id))?.results, results);
      assert.equal(await store.runs.transition(run.id, "Running", { updatedAt: 1, updatedBy: "x" }), undefined);
      assert.equal((await store.runs.get(run.id))?.status, "Finished");
      const stored = await store.tests.get(test.id);
      assert.deepEqual(
        stored?.recentRuns.map((r) => [r.id, r.status, r.finishedAt, r.passed, r.results?.p95ResponseMs]),
        [
          [other.id, "Pending", null, null, undefined],
          [run.id, "Finished", run.createdAt + 200, false, 312.5],
        ],
      );
      assert.equal(await store.runs.transition(randomUUID(), "Running", { updatedAt: 1, updatedBy: "x" }), undefined);
    });

    it("records a Pending run's launch once, and never on a run that left Pending; counts runs by status", async () => {
      const before = await store.runs.countByStatus();
      const test = await newTest();
      const run = makeRun(test);
      await store.runs.create(run);
      assert.equal((await store.runs.get(run.id))?.launchedAt, null);
      const changes = { launchedAt: run.createdAt + 50, updatedAt: run.createdAt + 50, updatedBy: "loadmgr" };
      const results = await Promise.all([
        store.runs.markLaunched(run.id, changes),
        store.runs.markLaunched(run.id, changes),
      ]);
      assert.equal(results.filter((r) => r !== undefined).length, 1, "exactly one launch wins");
      const launched = results.find((r) => r !== undefined);
      assert.equal(launched?.status, "Pending");
      assert.equal(launched?.launchedAt, run.createdAt + 50);
      assert.equal((await store.runs.get(run.id))?.launchedAt, run.createdAt + 50);
      const other = makeRun(test);
      await store.runs.create(other);
      await store.runs.transition(other.id, "Stopped", { finishedAt: 1, updatedAt: 1, updatedBy: "x" });
      assert.equal(await store.runs.markLaunched(other.id, changes), undefined);
      assert.equal((await store.runs.get(other.id))?.launchedAt, null);
      assert.equal(await store.runs.markLaunched(randomUUID(), changes), undefined);
      const counts = await store.runs.countByStatus();
      assert.equal((counts.Pending ?? 0) - (before.Pending ?? 0), 1, JSON.stringify({ before, counts }));
      assert.equal((counts.Stopped ?? 0) - (before.Stopped ?? 0), 1, JSON.stringify({ before, counts }));
      assert.equal(counts.Running ?? 0, before.Running ?? 0);
    });

    it("keeps each run's entry right under concurrent transitions of one test's runs", async () => {
      const test = await newTest();
      const runs = Array.from({ length: 6 }, (_, i) => makeRun(test, { createdAt: test.createdAt + i }));
      for (const run of runs) await store.runs.create(run);
      await Promise.all(
        runs.map(async (run, i) => {
          await store.runs.transition(run.id, "Running", { startedAt: 1, updatedAt: 1, updatedBy: "r" });
          await store.runs.transition(run.id, i % 2 === 0 ? "Finished" : "Failed", {
            finishedAt: 2,
            updatedAt: 2,
            updatedBy: "r",
          });
        }),
      );
      const stored = await store.tests.get(test.id);
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
      for (const r of [r1, r2, r3]) await store.runs.create(r);
      await store.runs.transition(r1.id, "Failed", { finishedAt: 5, updatedAt: 5, updatedBy: "x" });
      const ids = async (filter: Parameters<Store["runs"]["list"]>[0]): Promise<string[]> =>
        (await store.runs.list(filter, PAGE)).items.map((r) => r.id);
      assert.deepEqual(await ids({ loadTestId: test.id }), [r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId }), [r3.id, r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, projectId: "other" }), [r3.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, envId: "prod" }), [r2.id, r1.id]);
      assert.deepEqual(await ids({ accountId: test.accountId, status: "Failed" }), [r1.id]);
      const paged = await store.runs.list({ accountId: test.accountId }, { limit: 2 });
      assert.deepEqual(
        paged.items.map((r) => r.id),
        [r3.id, r2.id],
      );
      assert.deepEqual(await ids({ accountId: test.accountId, ...{} }), [r3.id, r2.id, r1.id]);
      const next = await store.runs.list({ accountId: test.accountId }, { limit: 2, cursor: paged.nextCursor });
      assert.deepEqual(
        next.items.map((r) => r.id),
        [r1.id],
      );
      assert.equal(await store.runs.countActive(test.id), 1);
    });

    it("keeps one baseline per test and env, also when set concurrently, and unmarks it", async () => {
      const test = await newTest();
      const other = await newTest({ accountId: test.accountId });
      const prod = [1, 2, 3, 4].map((i) => makeRun(test, { envId: "prod", createdAt: i }));
      const noEnv = makeRun(test, { envId: null, createdAt: 5 });
      const otherRun = makeRun(other, { envId: "prod", createdAt: 6 });
      for (const r of [...prod, noEnv, otherRun]) await store.runs.create(r);
      const by = { updatedAt: 10, updatedBy: "alice" };
      assert.equal(await store.runs.findBaseline(test.id, "prod"), undefined);
      assert.equal((await store.runs.setBaseline(noEnv.id, true, by))?.baseline, true);
      assert.equal((await store.runs.setBaseline(otherRun.id, true, by))?.baseline, true);
      await Promise.all(prod.map((r) => store.runs.setBaseline(r.id, true, by)));
      const marked = (await store.runs.list({ loadTestId: test.id, envId: "prod" }, PAGE)).items.filter(
        (r) => r.baseline,
      );
      assert.equal(marked.length, 1, "one baseline in prod after concurrent sets");
      assert.equal((await store.runs.findBaseline(test.id, "prod"))?.id, marked[0]?.id);
      // Other envs and other tests keep theirs.
      assert.equal((await store.runs.findBaseline(test.id, null))?.id, noEnv.id);
      assert.equal((await store.runs.findBaseline(other.id, "prod"))?.id, otherRun.id);
      const last = prod[3];
      assert.ok(last !== undefined);
      await store.runs.setBaseline(last.id, true, { updatedAt: 11, updatedBy: "bob" });
      assert.equal((await store.runs.findBaseline(test.id, "prod"))?.id, last.id);
      assert.equal((await store.runs.get(last.id))?.updatedBy, "bob");
      assert.equal((await store.runs.setBaseline(last.id, false, by))?.baseline, false);
      assert.equal(await store.runs.findBaseline(test.id, "prod"), undefined);
      assert.equal(await store.runs.setBaseline(randomUUID(), true, by), undefined);
    });

    it("adds load changes to a running run only, in order", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.runs.create(run);
      const change = (targetUsers: number) => ({ at: targetUsers, targetUsers, spawnRate: 2, by: "alice" });
      assert.equal(await store.runs.addLoadChange(run.id, change(5)), undefined, "a Pending run takes none");
      await store.runs.transition(run.id, "Running", { startedAt: 1, updatedAt: 1, updatedBy: "locust" });
      await store.runs.addLoadChange(run.id, change(5));
      const changed = await store.runs.addLoadChange(run.id, change(8));
      assert.deepEqual(changed?.loadChanges, [change(5), change(8)]);
      assert.deepEqual((await store.runs.get(run.id))?.loadChanges, [change(5), change(8)]);
      await store.runs.transition(run.id, "Finished", { finishedAt: 2, updatedAt: 2, updatedBy: "locust" });
      assert.equal(await store.runs.addLoadChange(run.id, change(9)), undefined, "an ended run takes none");
      assert.equal(await store.runs.addLoadChange(randomUUID(), change(9)), undefined);
    });

    it("moves lastMetrics forward only", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.runs.create(run);
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
      await store.runs.setLastMetrics(run.id, summaryOf(2, 2000));
      await store.runs.setLastMetrics(run.id, summaryOf(1, 1000)); // late and older: ignored
      await store.runs.setLastMetrics(run.id, { ...summaryOf(2, 2500), totalRequests: 999 }); // seq 2 again: ignored
      assert.deepEqual((await store.runs.get(run.id))?.lastMetrics, summaryOf(2, 2000));
      await store.runs.setLastMetrics(run.id, summaryOf(3, 3000));
      assert.equal((await store.runs.get(run.id))?.lastMetrics?.seq, 3);
      await store.runs.setLastMetrics("no-such-run", summaryOf(4, 4000)); // nothing to move, no error
    });

    it("keeps a run's transition written beside its lastMetrics (a stop during pushes stays a stop)", async () => {
      const test = await newTest();
      const summaryOf = (seq: number): RunMetricsSummary => ({
        timestamp: 1000 * seq,
        seq,
        users: 10,
        requestsPerSec: 15,
        failuresPerSec: 0,
        totalRequests: 30 * seq,
        totalFailures: 0,
        avgResponseMs: 126,
      });
      // (FerretDB without the run's lock on lastMetrics lost the transition in about half of these.)
      for (let i = 0; i < 10; i++) {
        const run = { ...makeRun(test), status: "Running" as const };
        await store.runs.create(run);
        await Promise.all([
          store.runs.transition(run.id, "Stopping", { updatedAt: Date.now(), updatedBy: "someone" }),
          ...[1, 2, 3].map((seq) => store.runs.setLastMetrics(run.id, summaryOf(seq))),
        ]);
        const stored = await store.runs.get(run.id);
        assert.deepEqual([stored?.status, stored?.lastMetrics?.seq], ["Stopping", 3], `run ${i}`);
      }
    });

    it("places a pool run once, then changes its placement only while it is active", async () => {
      const test = await newTest();
      const created = await store.runs.create(
        makeRun(test, { agentPool: "pool-1", workers: null, labels: { a: "b" } }),
      );
      assert.ok(created);
      assert.equal(created.agentPool, "pool-1");
      assert.deepEqual(created.labels, { a: "b" });
      const waiting = await store.runs.updatePoolRun(
        created.id,
        { waitingReason: "waiting", updatedAt: 1, updatedBy: "x" },
        true,
      );
      assert.equal(waiting?.waitingReason, "waiting");
      const placement = [
        { agentId: "a1", agentName: "a", role: "master" as const, processes: 1, lostAt: null },
        { agentId: "a1", agentName: "a", role: "worker" as const, processes: 2, lostAt: null },
      ];
      const placed = await store.runs.updatePoolRun(
        created.id,
        { placement, workers: 2, waitingReason: null, launchedAt: 5, updatedAt: 5, updatedBy: "x" },
        true,
      );
      assert.deepEqual(placed?.placement, placement);
      assert.equal(placed?.launchedAt, 5);
      // Placed once: a second placement (another job delivery) changes nothing.
      assert.equal(
        await store.runs.updatePoolRun(created.id, { workers: 9, launchedAt: 6, updatedAt: 6, updatedBy: "x" }, true),
        undefined,
      );
      const warned = await store.runs.updatePoolRun(
        created.id,
        { masterEndpoint: "10.0.0.2:5557", warnings: [{ at: 7, message: "lost" }], updatedAt: 7, updatedBy: "x" },
        false,
      );
      assert.equal(warned?.masterEndpoint, "10.0.0.2:5557");
      assert.equal(warned?.workers, 2);
      await store.runs.transition(created.id, "Failed", { finishedAt: 8, updatedAt: 8, updatedBy: "x" });
      assert.equal(
        await store.runs.updatePoolRun(created.id, { warnings: [], updatedAt: 9, updatedBy: "x" }, false),
        undefined,
      );
      assert.deepEqual((await store.runs.get(created.id))?.warnings, [{ at: 7, message: "lost" }]);
    });

    it("places a pool's runs one at a time: concurrent placements never count the same slot twice", async () => {
      const test = await newTest();
      const poolId = `pool-${randomUUID()}`;
      const runs = [];
      for (let i = 0; i < 8; i++) {
        runs.push(await store.runs.create(makeRun(test, { agentPool: poolId, createdAt: 1000 + i })));
      }
      const other = await store.runs.create(makeRun(test, { agentPool: `other-${randomUUID()}` }));
      const SLOTS = 3;
      const seen: number[] = [];
      const placed = await Promise.all(
        runs.map((run) =>
          store.runs.placePoolRun(run?.id ?? "", poolId, (poolRuns) => {
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
      assert.equal((await store.runs.get(other?.id ?? ""))?.launchedAt, null);
      // A run placed already (or no longer Pending) is left as it is, whatever `decide` says.
      const again = await store.runs.placePoolRun(placed.find((r) => r !== undefined)?.id ?? "", poolId, () => ({
        workers: 9,
        updatedAt: 6,
        updatedBy: "x",
      }));
      assert.equal(again, undefined);
    });
  });
}
