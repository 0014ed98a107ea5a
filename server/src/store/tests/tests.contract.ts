import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { before, describe, it } from "node:test";
import { type LoadTest } from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../../test/helpers/fixtures.js";
import { PAGE, newTestIn } from "../contractSupport.js";
import { type Store } from "../store.js";

/** What every test repository must do, on a store `get` answers once the contract's store is open. */
export function testsContract(get: () => Store): void {
  describe("Tests, revisions and files", () => {
    let store: Store;
    before(() => {
      store = get();
    });
    const newTest = (overrides: Partial<LoadTest> = {}): Promise<LoadTest> => newTestIn(store, overrides);

    it("stores a test with every field and its revision 1", async () => {
      const { test, revision } = makeLoadTest({
        tags: ["smoke", "checkout"],
        envId: "staging",
        locustClusterId: "cluster-1",
        scenarioId: "scn",
        metadata: { owner: "team-a", nested: { n: 1 } },
        defaultSpawnRate: 2.5,
      });
      await store.tests.create(test, revision, []);
      assert.deepEqual(await store.tests.get(test.id), test);
      assert.deepEqual(await store.tests.getRevision(test.id, revision.id), revision);
      assert.equal(await store.tests.get(randomUUID()), undefined);
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
      const ids = async (filter: Parameters<Store["tests"]["list"]>[0]): Promise<string[]> =>
        (await store.tests.list({ accountId, ...filter }, PAGE)).items.map((t) => t.id);
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
        const page = await store.tests.list({ accountId }, { limit: 3, cursor });
        assert.ok(page.items.length <= 3);
        seen.push(...page.items.map((t) => t.id));
        cursor = page.nextCursor;
      } while (cursor !== undefined);
      assert.deepEqual(seen, expected);
      const byOffset = await store.tests.list({ accountId }, { limit: 2, offset: 3 });
      assert.deepEqual(
        byOffset.items.map((t) => t.id),
        expected.slice(3, 5),
      );
      await assert.rejects(
        store.tests.list({ accountId }, { limit: 2, offset: 1, cursor: "x" }),
        /either cursor or offset/,
      );
      await assert.rejects(store.tests.list({ accountId }, { limit: 2, cursor: "not-a-cursor" }), /cursor/);
    });

    it("updates only the given fields", async () => {
      const test = await newTest();
      const updated = await store.tests.update(test.id, {
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
      assert.deepEqual(await store.tests.get(test.id), updated);
      assert.equal(await store.tests.update(randomUUID(), { updatedAt: 1, updatedBy: "x" }), undefined);
    });

    it("appends revisions, moves latest, lists newest first", async () => {
      const test = await newTest();
      const second = await store.tests.addRevision(
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
      const stored = await store.tests.get(test.id);
      assert.equal(stored?.latestRevisionId, second?.id);
      assert.equal(stored?.latestRevisionNumber, 2);
      assert.equal(stored?.updatedBy, "bob");
      const list = await store.tests.listRevisions(test.id, PAGE);
      assert.deepEqual(
        list.items.map((r) => r.revisionNumber),
        [2, 1],
      );
      const first = await store.tests.listRevisions(test.id, { limit: 1 });
      assert.equal(first.items[0]?.revisionNumber, 2);
      const rest = await store.tests.listRevisions(test.id, { limit: 1, cursor: first.nextCursor });
      assert.equal(rest.items[0]?.revisionNumber, 1);
      assert.equal(rest.nextCursor, undefined);
      assert.equal(await store.tests.getRevision(randomUUID(), second?.id ?? ""), undefined);
      assert.ok(second);
      assert.equal(
        await store.tests.addRevision({ ...second, id: randomUUID(), loadTestId: randomUUID() }, []),
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
      const revision = await store.tests.addRevision(
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
      assert.deepEqual((await store.tests.getRevision(test.id, revision.id))?.files, infos);
      const all = await store.tests.getFiles(revision.id);
      assert.deepEqual(
        all.map((f) => f.path),
        ["blob.bin", "data/users.csv", "lib/helpers.py"],
      );
      assert.ok(all[0]?.content.equals(big));
      const one = await store.tests.getFiles(revision.id, ["lib/helpers.py", "nope"]);
      assert.deepEqual(one, [{ path: "lib/helpers.py", content: Buffer.from("X = 1\n") }]);
      assert.deepEqual(await store.tests.getFiles(test.latestRevisionId), []);
      assert.equal(await store.tests.delete(test.id), true);
      assert.deepEqual(await store.tests.getFiles(revision.id), []);
    });

    it("gives 20 concurrent script edits 20 distinct, gapless revision numbers", async () => {
      const test = await newTest();
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          store.tests.addRevision(
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
      const stored = await store.tests.get(test.id);
      assert.equal(stored?.latestRevisionNumber, 21);
      assert.equal(stored?.latestRevisionId, results.find((r) => r?.revisionNumber === 21)?.id);
      const all = await store.tests.listRevisions(test.id, { limit: 100 });
      assert.equal(all.items.length, 21);
      assert.equal(new Set(all.items.map((r) => r.id)).size, 21);
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
        await store.tests.create(test, revision, []);
        tests.push(test);
      }
      for (const test of [tests[1], tests[1], tests[3]]) if (test !== undefined) await store.runs.create(makeRun(test));
      assert.deepEqual(await store.tests.countByScope({ accountId: account }), [
        { accountId: account, orgId: "o1", projectId: "p1", envId: null, tests: 1, runs: 0 },
        { accountId: account, orgId: "o1", projectId: "p1", envId: "prod", tests: 2, runs: 2 },
        { accountId: account, orgId: "o2", projectId: "p9", envId: null, tests: 1, runs: 1 },
      ]);
      assert.deepEqual(
        (await store.tests.countByScope({ accountId: account, orgId: "o2" })).map((s) => s.projectId),
        ["p9"],
      );
      assert.deepEqual(await store.tests.countByScope({ accountId: `${account}-none` }), []);
    });

    it("deletes a test with its revisions and runs", async () => {
      const test = await newTest();
      const run = makeRun(test);
      await store.runs.create(run);
      assert.equal(await store.tests.delete(test.id), true);
      assert.equal(await store.tests.get(test.id), undefined);
      assert.equal(await store.runs.get(run.id), undefined);
      assert.deepEqual((await store.tests.listRevisions(test.id, PAGE)).items, []);
      assert.equal(await store.tests.delete(test.id), false);
    });
  });
}
