import assert from "node:assert/strict";
import { it } from "node:test";
import { decideOutcome, type OutcomeFacts } from "./runOutcome.js";

const results = (totalRequests: number, totalFailures: number): OutcomeFacts["results"] => ({
  totalRequests,
  totalFailures,
});
const verdict = (v: Partial<NonNullable<OutcomeFacts["verdict"]>>): OutcomeFacts["verdict"] => ({
  aborted: false,
  checks: [],
  regressions: [],
  ...v,
});
const breached = { threshold: "p95<1", measured: 5, passed: false };
const regression = { endpoint: "GET /", metric: "p95" as const, baseline: 10, measured: 20, change: 100 };

it("decides one outcome per ended run, the first that holds: aborted, no-success, failed, regressed, passed", () => {
  const cases: [OutcomeFacts, ReturnType<typeof decideOutcome>][] = [
    [{ status: "Running", results: null, verdict: null }, null],
    [{ status: "Finished", results: results(100, 1), verdict: null }, "passed"],
    [{ status: "Stopped", results: results(100, 1), verdict: null }, "passed"],
    [{ status: "Finished", results: results(0, 0), verdict: null }, "no-success"],
    [{ status: "Finished", results: results(100, 90), verdict: null }, "no-success"],
    [{ status: "Finished", results: results(100, 89), verdict: null }, "passed"],
    [{ status: "Finished", results: results(100, 100), verdict: verdict({ checks: [breached] }) }, "no-success"],
    [
      { status: "Failed", results: results(100, 100), verdict: verdict({ aborted: true, checks: [breached] }) },
      "aborted",
    ],
    [{ status: "Failed", results: results(0, 0), verdict: null }, "failed"],
    [{ status: "Finished", results: results(100, 0), verdict: verdict({ checks: [breached] }) }, "failed"],
    [
      {
        status: "Finished",
        results: results(100, 0),
        verdict: verdict({ checks: [breached], regressions: [regression] }),
      },
      "failed",
    ],
    [{ status: "Finished", results: results(100, 0), verdict: verdict({ regressions: [regression] }) }, "regressed"],
  ];
  for (const [facts, expected] of cases) assert.equal(decideOutcome(facts), expected, JSON.stringify(facts));
});
