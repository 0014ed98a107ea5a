import assert from "node:assert/strict";
import { it } from "node:test";
import { makeLoadTest } from "../../../test/helpers/fixtures.js";
import { runLoad, shapeClasses } from "./runLoad.js";

const stages = [
  { durationSec: 30, users: 10, spawnRate: 2 },
  { durationSec: 60, users: 40, spawnRate: 5 },
];

it("finds the LoadTestShape classes a script defines", () => {
  const source = [
    "from locust import LoadTestShape",
    "import locust",
    "class Ramp(LoadTestShape):",
    "    pass",
    "class Other(locust.LoadTestShape, Mixin) :",
    "class User(HttpUser):",
    "# class Commented(LoadTestShape): is a comment at the start of a line only after #",
  ].join("\n");
  assert.deepEqual(shapeClasses(source), ["Ramp", "Other"]);
});

it("takes the run's stages, or its own figures, or the test's stages when it names none", () => {
  const { test } = makeLoadTest({ defaultStages: stages, maxDurationSec: 600 });
  const id = test.id;
  const base = { id, metadata: {} };
  const load = { targetUsers: 40, spawnRate: 5, durationSec: 90, durationSeconds: 90, stages };
  assert.deepEqual(runLoad(test, base), load);
  const own = {
    targetUsers: test.defaultUsers,
    spawnRate: test.defaultSpawnRate,
    durationSec: 5,
    durationSeconds: 5,
    stages: null,
  };
  assert.deepEqual(runLoad(test, { ...base, durationSec: 5 }), own);
  // Its deprecated name is still accepted; both, only when they agree.
  assert.deepEqual(runLoad(test, { ...base, durationSeconds: 5 }), own);
  assert.deepEqual(runLoad(test, { ...base, durationSec: 5, durationSeconds: 5 }), own);
  assert.throws(
    () => runLoad(test, { ...base, durationSec: 5, durationSeconds: 6 }),
    /durationSeconds \(6\) is the deprecated name of durationSec \(5\)/,
  );
  assert.throws(() => runLoad(test, { ...base, stages, durationSeconds: 3 }), /STAGES_CONFLICT|not both/);
  assert.throws(() => runLoad(test, { ...base, stages, targetUsers: 3 }), /STAGES_CONFLICT|not both/);
  const short = makeLoadTest({ maxDurationSec: 60 }).test;
  assert.throws(() => runLoad(short, { ...base, stages }), /above the test's maxDurationSec/);
});
