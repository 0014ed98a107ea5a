import assert from "node:assert/strict";
import { it } from "node:test";
import { envVarsSchema, stagesSchema } from "./params.js";
import { stageAt, stagesDuration, stagesPeakUsers } from "./stages.js";

it("finds the stage under way, and keeps the last after the end", () => {
  const stages = [
    { durationSec: 10, users: 5, spawnRate: 1 },
    { durationSec: 20, users: 50, spawnRate: 5 },
    { durationSec: 5, users: 0, spawnRate: 10 },
  ];
  assert.deepEqual(
    [0, 9.9, 10, 29.9, 30, 35, 99].map((t) => stageAt(stages, t)?.index),
    [0, 0, 1, 1, 2, 2, 2],
  );
  assert.equal(stagesDuration(stages), 35);
  assert.equal(stagesPeakUsers(stages), 50);
  assert.equal(stagesSchema.safeParse(stages).success, true);
  assert.equal(stagesSchema.safeParse([{ durationSec: 10, users: 0, spawnRate: 1 }]).success, false);
  assert.equal(stagesSchema.safeParse([]).success, false);
});

it("takes parameter names a shell would, and not the runtime's own", () => {
  assert.equal(envVarsSchema.safeParse({ SHOP_URL: "x", _x1: "" }).success, true);
  for (const bad of ["1X", "A-B", "LOADMGR_URL", "LOCUST_HOST", "PYTHONPATH", "LD_PRELOAD", "PATH", "HOME"]) {
    assert.equal(envVarsSchema.safeParse({ [bad]: "v" }).success, false, bad);
  }
  assert.equal(envVarsSchema.safeParse({ A: "\u0000" }).success, false);
});
