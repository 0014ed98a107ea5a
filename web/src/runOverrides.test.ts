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
