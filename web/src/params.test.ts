import assert from "node:assert/strict";
import { it } from "node:test";
import { parseStages, stagesLines } from "./params.js";

it("shows stages as the CLI's --stage takes them, and reads that back (and the form's earlier spaces)", () => {
  const stages = [
    { durationSec: 30, users: 10, spawnRate: 2 },
    { durationSec: 60, users: 20, spawnRate: 0.5 },
  ];
  assert.equal(stagesLines(stages), "30:10:2\n60:20:0.5");
  assert.deepEqual(parseStages(stagesLines(stages)), stages);
  assert.deepEqual(parseStages("30 10 2\n60, 20, 0.5\n"), stages);
  const [bad] = parseStages("sixty:20:2") ?? [];
  assert.ok(bad !== undefined && Number.isNaN(bad.durationSec));
  assert.equal(parseStages("  \n"), null);
});
