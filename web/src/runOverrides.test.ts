import assert from "node:assert/strict";
import { it } from "node:test";
import { makeLoadTest } from "../../test/helpers/fixtures.js";
import { defaultRunOptions, runOverrides } from "./runOverrides.js";

it("overrides only what differs from the test's defaults, workers included", () => {
  const { test } = makeLoadTest({ agentPool: "pool-1", defaultWorkers: 4, defaultUsers: 10 });
  const options = defaultRunOptions(test);
  assert.deepEqual(runOverrides(test, options), { overrides: {}, thresholds: null });
  assert.deepEqual(runOverrides(test, { ...options, workers: "6", users: "12" }).overrides, {
    targetUsers: 12,
    workers: 6,
  });
  // A test without default workers: none asked, none sent.
  const { test: open } = makeLoadTest({ agentPool: "pool-1", defaultWorkers: null });
  assert.deepEqual(runOverrides(open, defaultRunOptions(open)).overrides, {});
  assert.deepEqual(runOverrides(open, { ...defaultRunOptions(open), workers: "3" }).overrides, { workers: 3 });
});

it("sends a pool run's regions as typed; a share that is not a number goes as NaN for the API to name", () => {
  const { test } = makeLoadTest({ agentPool: "pool-1" });
  const options = defaultRunOptions(test);
  assert.deepEqual(runOverrides(test, { ...options, regions: "eu=60, us=40%" }).overrides.regions, [
    { name: "eu", share: 60 },
    { name: "us", share: 40 },
  ]);
  const [bad] = runOverrides(test, { ...options, regions: "eu" }).overrides.regions ?? [];
  assert.ok(bad !== undefined && bad.name === "eu" && Number.isNaN(bad.share));
  // Off a pool the field is not shown, and nothing is sent.
  const { test: local } = makeLoadTest({ agentPool: null });
  assert.equal(runOverrides(local, { ...defaultRunOptions(local), regions: "eu=100" }).overrides.regions, undefined);
});
