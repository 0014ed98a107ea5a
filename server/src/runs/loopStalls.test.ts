import assert from "node:assert/strict";
import { it } from "node:test";
import { LoopStalls } from "./loopStalls.js";

const block = (ms: number): void => void Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

it("counts the part of a stall after a time, also when the stall began before it", () => {
  const stalls = new LoopStalls();
  stalls.start();
  try {
    const before = Date.now();
    block(600);
    // A push read first after the stall may carry a time inside it: only what follows that time counts.
    const inside = before + 300;
    const after = stalls.stalledSince(inside);
    const whole = stalls.stalledSince(before - 1000);
    assert.ok(whole >= 450, `counted ${whole} ms of a 600 ms stall`);
    assert.ok(after >= 150 && after < whole, `counted ${after} ms after a time 300 ms into the ${whole} ms stall`);
    assert.equal(stalls.stalledSince(Date.now() + 1000), 0, "nothing after now");
  } finally {
    stalls.stop();
  }
});
