import assert from "node:assert/strict";
import { it } from "node:test";
import { ACTIVE_STATUSES, RUN_STATUSES, canTransition, isTerminal, predecessorsOf, runWarning } from "./runStatus.js";

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

it("warns of a run that ended without a success: no requests, all failed, mostly failed", () => {
  const ended = (
    totalRequests: number,
    totalFailures: number,
    status: "Finished" | "Stopped" | "Failed" = "Finished",
  ) => ({
    status,
    results: {
      totalRequests,
      totalFailures,
      errorRatePercent: totalRequests > 0 ? (100 * totalFailures) / totalRequests : 0,
    },
  });
  assert.equal(runWarning(ended(0, 0)), "No request was made: the run never reached its target");
  assert.equal(runWarning(ended(120, 120, "Stopped")), "Every request failed (100 % errors)");
  assert.equal(runWarning(ended(1000, 950)), "Most requests failed (95.0 % errors)");
  assert.equal(runWarning(ended(1000, 899)), null);
  assert.equal(runWarning(ended(1000, 1000, "Failed")), null, "a Failed run has its reason");
  assert.equal(runWarning({ status: "Running", results: null }), null);
});
