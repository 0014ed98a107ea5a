import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { RunVerdict } from "@loadmgr/shared";
import { makeLoadTest, makeRun } from "../../../test/helpers/fixtures.js";
import { eventsOf, jsonPayload, slackPayload } from "./webhookPayload.js";
import { signature } from "./webhookNotifier.js";

const verdict = (overrides: Partial<RunVerdict>): RunVerdict => ({
  passed: true,
  checkedAt: 1,
  checks: [{ threshold: "p95<300", measured: 10, passed: true }],
  aborted: false,
  abortedBy: null,
  baselineRunId: null,
  regressions: [],
  ...overrides,
});

describe("webhook events and bodies", () => {
  const { test } = makeLoadTest();

  it("names the events of each move: start, each end, a breach, a regression", () => {
    assert.deepEqual(eventsOf(makeRun(test, { status: "Running" })), ["run.started"]);
    assert.deepEqual(eventsOf(makeRun(test, { status: "Pending" })), []);
    assert.deepEqual(eventsOf(makeRun(test, { status: "Stopping" })), []);
    assert.deepEqual(eventsOf(makeRun(test, { status: "Finished", verdict: verdict({}) })), ["run.finished"]);
    assert.deepEqual(eventsOf(makeRun(test, { status: "Stopped" })), ["run.stopped"]);
    const breached = verdict({ passed: false, checks: [{ threshold: "p95<3", measured: 10, passed: false }] });
    assert.deepEqual(eventsOf(makeRun(test, { status: "Finished", verdict: breached })), [
      "run.finished",
      "threshold.breached",
    ]);
    const aborted = verdict({ passed: false, aborted: true, checks: [] });
    const regressed = {
      ...aborted,
      regressions: [{ endpoint: "Aggregated", metric: "p95" as const, baseline: 1, measured: 3, change: 200 }],
    };
    assert.deepEqual(eventsOf(makeRun(test, { status: "Failed", verdict: regressed })), [
      "run.failed",
      "threshold.breached",
      "regression.detected",
    ]);
  });

  it("carries the event, run, test, status and verdict; Slack's form escapes what scripts named", () => {
    const run = makeRun(test, {
      status: "Finished",
      name: "<!channel> & co",
      verdict: verdict({ passed: false, checks: [{ threshold: "GET <x>:p95<3", measured: 10, passed: false }] }),
    });
    const input = {
      event: "threshold.breached" as const,
      run,
      testName: "t",
      deliveryId: "d",
      sentAt: 5,
      runUrl: null,
    };
    const body = jsonPayload(input);
    assert.deepEqual(
      [body.event, body.runId, body.loadTestId, body.status, body.verdict, body.deliveryId],
      ["threshold.breached", run.id, run.loadTestId, "Finished", run.verdict, "d"],
    );
    const slack = slackPayload(input);
    assert.ok(slack.text.includes("&lt;!channel&gt; &amp; co"));
    assert.ok(!slack.text.includes("<!channel>"));
    assert.ok(slack.text.includes("GET &lt;x&gt;:p95&lt;3"));
    assert.deepEqual(
      slack.blocks.map((b) => b.type),
      ["section", "context"],
    );
  });

  it("signs with the hex HMAC-SHA256 of the exact body", () => {
    // RFC 4231 test case 2.
    assert.equal(
      signature("Jefe", "what do ya want for nothing?"),
      "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    );
  });
});
