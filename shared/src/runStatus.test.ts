import assert from "node:assert/strict";
import { it } from "node:test";
import { ACTIVE_STATUSES, RUN_STATUSES, canTransition, isTerminal, predecessorsOf } from "./runStatus.js";

it("allows exactly the lifecycle's transitions", () => {
  const legal = new Set([
    "Pending>Running",
    "Pending>Stopping",
    "Pending>Stopped",
    "Pending>Failed",
    "Running>Stopping",
    "Running>Finished",
    "Running>Stopped",
    "Running>Failed",
    "Stopping>Stopped",
    "Stopping>Finished",
    "Stopping>Failed",
  ]);
  for (const from of RUN_STATUSES) {
    for (const to of RUN_STATUSES) {
      assert.equal(canTransition(from, to), legal.has(`${from}>${to}`), `${from} -> ${to}`);
    }
  }
});

it("derives predecessors, terminal and active statuses from the same table", () => {
  assert.deepEqual(predecessorsOf("Running"), ["Pending"]);
  assert.deepEqual(predecessorsOf("Failed"), ["Pending", "Running", "Stopping"]);
  assert.deepEqual(predecessorsOf("Pending"), []);
  assert.deepEqual(
    RUN_STATUSES.filter((s) => isTerminal(s)),
    ["Finished", "Stopped", "Failed"],
  );
  assert.deepEqual(ACTIVE_STATUSES, ["Pending", "Running", "Stopping"]);
});
