import assert from "node:assert/strict";
import { it } from "node:test";
import { autoStopOf } from "@loadmgr/shared";
import { AutoStopWatch } from "./autoStop.js";

const RULE = autoStopOf(90, 60);
/** A run sending 10 requests a second, `failing` of them failing, reported every 2 s from t=0. */
const totals = (second: number, failingPerSec: number, before = { requests: 0, failures: 0, at: 0 }) => ({
  at: second * 1000,
  requests: before.requests + 10 * (second - before.at / 1000),
  failures: before.failures + failingPerSec * (second - before.at / 1000),
});

it("stops a run only once its errors over a whole window are above the limit", () => {
  const watch = new AutoStopWatch();
  // 100 % errors, but not yet for 60 s: no stop.
  for (let s = 0; s < 60; s += 2) assert.equal(watch.observe("r", RULE, totals(s, 10), s * 1000), null);
  const reason = watch.observe("r", RULE, totals(60, 10), 60_000);
  assert.equal(
    reason,
    "auto-stopped: 100.0 % of requests failed over the last 60 s (the test stops a run above 90 % over 60 s)",
  );
});

it("does not stop at or under the limit, nor without a rule, nor with no requests in the window", () => {
  const watch = new AutoStopWatch();
  for (let s = 0; s <= 120; s += 2) {
    assert.equal(watch.observe("at-limit", RULE, totals(s, 9), s * 1000), null); // exactly 90 %
    assert.equal(watch.observe("no-rule", null, totals(s, 10), s * 1000), null);
    assert.equal(watch.observe("idle", RULE, { at: s * 1000, requests: 0, failures: 0 }, s * 1000), null);
  }
  assert.equal(watch.size, 2, "a run without a rule is not watched");
});

it("judges by the window, not the whole run: a run that recovers is not stopped, one that breaks later is", () => {
  const watch = new AutoStopWatch();
  let last = { at: 0, requests: 0, failures: 0 };
  const step = (s: number, failing: number) => {
    last = totals(s, failing, last);
    return watch.observe("r", RULE, last, s * 1000);
  };
  for (let s = 2; s <= 50; s += 2) assert.equal(step(s, 10), null); // 50 s of errors
  for (let s = 52; s <= 200; s += 2) assert.equal(step(s, 0), null); // then healthy
  let stopped: string | null = null;
  let at = 0;
  for (at = 202; at <= 300 && stopped === null; at += 2) stopped = step(at, 10);
  // Errors again from 200 s: above 90 % of a 60 s window once 55 s of it failed (at 256 s: 560 of 600).
  assert.equal(at - 2, 256);
  assert.match(stopped ?? "", /^auto-stopped: 93\.3 % of requests failed over the last 60 s/);
});

it("takes pushes out of order and from a server that sees only some of them", () => {
  const watch = new AutoStopWatch();
  // Only every third push reaches this server, and one arrives late.
  assert.equal(watch.observe("r", RULE, totals(30, 10), 30_000), null);
  assert.equal(watch.observe("r", RULE, totals(66, 10), 66_000), null);
  assert.match(watch.observe("r", RULE, totals(0, 10), 67_000) ?? "", /over the last 66 s/);
  watch.forget("r");
  assert.equal(watch.size, 0);
});

it("forgets runs it has not heard of for ten minutes", () => {
  const watch = new AutoStopWatch();
  watch.observe("old", RULE, totals(2, 0), 0);
  watch.observe("new", RULE, totals(2, 0), 11 * 60_000);
  assert.equal(watch.size, 1);
});
