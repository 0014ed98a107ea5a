import assert from "node:assert/strict";
import { test } from "node:test";
import { place, splitByShare, usedSlots, type Candidate } from "./placement.js";

const agent = (name: string, free: number, labels: Record<string, string> = {}): Candidate => ({
  id: `id-${name}`,
  name,
  free,
  labels,
});

test("the master goes where most is free, the workers spread over the hosts", () => {
  const result = place("eu", { workers: 4, labels: {}, maxWorkers: 100 }, [agent("a", 4), agent("b", 4)]);
  assert.ok(result.placed);
  assert.equal(result.workers, 4);
  const [master, ...workers] = result.placement;
  assert.deepEqual(master, { agentId: "id-a", agentName: "a", role: "master", processes: 1, lostAt: null });
  // a has 3 left after the master, b 4: b, a, b, a → 2 each.
  assert.deepEqual(
    workers.map((w) => [w.agentName, w.processes]),
    [
      ["a", 2],
      ["b", 2],
    ],
  );
});

test("an agent never gets more than it has free", () => {
  const result = place("eu", { workers: 5, labels: {}, maxWorkers: 100 }, [
    agent("a", 1),
    agent("b", 2),
    agent("c", 3),
  ]);
  assert.ok(result.placed);
  const total = new Map<string, number>();
  for (const e of result.placement) total.set(e.agentName, (total.get(e.agentName) ?? 0) + e.processes);
  assert.deepEqual(Object.fromEntries(total), { a: 1, b: 2, c: 3 });
});

test("too little free capacity: the run waits and says for what", () => {
  const result = place("eu", { workers: 6, labels: {}, maxWorkers: 100 }, [agent("a", 2), agent("b", 3)]);
  assert.deepEqual(result, {
    placed: false,
    waitingReason: "waiting for 7 slots in pool eu (6 workers + the master; 5 free)",
  });
});

test("labels pick the agents; none with them is said so", () => {
  const agents = [agent("a", 4, { region: "eu" }), agent("b", 4, { region: "us" })];
  const result = place("p", { workers: 2, labels: { region: "us" }, maxWorkers: 100 }, agents);
  assert.ok(result.placed);
  assert.ok(result.placement.every((e) => e.agentName === "b"));
  const none = place("p", { workers: 1, labels: { region: "ap" }, maxWorkers: 100 }, agents);
  assert.deepEqual(none, {
    placed: false,
    waitingReason: "waiting for 2 slots in pool p (1 worker + the master; no agent connected with labels region=ap)",
  });
});

test("no worker count: the pool's free capacity less the master, up to the cap", () => {
  const free = place("p", { workers: null, labels: {}, maxWorkers: 100 }, [agent("a", 3), agent("b", 3)]);
  assert.ok(free.placed);
  assert.equal(free.workers, 5);
  const capped = place("p", { workers: null, labels: {}, maxWorkers: 2 }, [agent("a", 3), agent("b", 3)]);
  assert.ok(capped.placed);
  assert.equal(capped.workers, 2);
  assert.equal(place("p", { workers: null, labels: {}, maxWorkers: 2 }, [agent("a", 1)]).placed, false);
});

test("used slots count the active runs' entries, not lost ones", () => {
  const used = usedSlots([
    {
      placement: [
        { agentId: "a", agentName: "a", role: "master", processes: 1, lostAt: null },
        { agentId: "a", agentName: "a", role: "worker", processes: 2, lostAt: null },
        { agentId: "b", agentName: "b", role: "worker", processes: 3, lostAt: 5 },
      ],
    },
  ]);
  assert.deepEqual(Object.fromEntries(used), { a: 3 });
});

test("workers split by share: largest remainder, one each at least, always the total", () => {
  const eu60 = [
    { name: "eu", share: 60 },
    { name: "us", share: 40 },
  ];
  assert.deepEqual(splitByShare(5, eu60), [3, 2]);
  assert.deepEqual(splitByShare(4, eu60), [2, 2]); // 2.4 and 1.6: the larger remainder wins
  assert.deepEqual(splitByShare(10, eu60), [6, 4]);
  assert.equal(splitByShare(1, eu60), undefined);
  const skewed = [
    { name: "a", share: 98 },
    { name: "b", share: 1 },
    { name: "c", share: 1 },
  ];
  assert.deepEqual(splitByShare(3, skewed), [1, 1, 1]);
  assert.deepEqual(splitByShare(10, skewed), [8, 1, 1]);
  for (let workers = 3; workers <= 50; workers++) {
    const split = splitByShare(workers, skewed) ?? [];
    assert.equal(
      split.reduce((sum, n) => sum + n, 0),
      workers,
    );
    assert.ok(split.every((n) => n >= 1));
  }
});

test("a run split over regions: each region's workers on its own agents, the master where room is left", () => {
  const agents = [
    agent("eu-1", 3, { region: "eu" }),
    agent("eu-2", 2, { region: "eu" }),
    agent("us-1", 3, { region: "us" }),
    agent("none", 8),
  ];
  const regions = [
    { name: "eu", share: 60 },
    { name: "us", share: 40 },
  ];
  const result = place("p", { workers: 5, labels: {}, maxWorkers: 100, regions }, agents);
  assert.ok(result.placed);
  const byRegion = new Map<string, number>();
  for (const e of result.placement.filter((p) => p.role === "worker")) {
    byRegion.set(e.region ?? "", (byRegion.get(e.region ?? "") ?? 0) + e.processes);
    assert.equal(agents.find((a) => a.id === e.agentId)?.labels.region, e.region);
  }
  assert.deepEqual(Object.fromEntries(byRegion), { eu: 3, us: 2 });
  const master = result.placement.find((p) => p.role === "master");
  assert.notEqual(master?.agentName, "none");
  // The most a region's room allows, when no worker count is asked for: eu has 5, us 3 (one is the master's).
  const most = place("p", { workers: null, labels: {}, maxWorkers: 100, regions }, agents);
  assert.ok(most.placed);
  assert.equal(most.workers, 7);
  // A region without room: the run waits, naming it.
  const waiting = place("p", { workers: 9, labels: {}, maxWorkers: 100, regions }, agents);
  assert.ok(!waiting.placed);
  assert.match(waiting.waitingReason, /us: 4 workers, 3 free/);
});
