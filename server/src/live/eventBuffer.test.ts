import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { EventBuffer } from "./eventBuffer.js";

async function drainAll<T>(buffer: EventBuffer<T>, signal?: AbortSignal): Promise<T[]> {
  const items: T[] = [];
  for await (const item of buffer.drain(signal)) items.push(item);
  return items;
}

describe("EventBuffer", () => {
  it("yields what was pushed, in order, including what arrives while waiting, until ended", async () => {
    const buffer = new EventBuffer<number>();
    buffer.push(1);
    const drained = drainAll(buffer);
    buffer.push(2);
    await new Promise((resolve) => setTimeout(resolve, 5));
    buffer.push(3);
    buffer.end();
    buffer.push(4); // after the end: dropped
    assert.deepEqual(await drained, [1, 2, 3]);
    assert.equal(buffer.overflowed, false);
  });

  it("ends a subscriber that falls too far behind, marking it overflowed", async () => {
    const buffer = new EventBuffer<number>(3);
    for (let i = 0; i < 5; i++) buffer.push(i);
    assert.deepEqual(await drainAll(buffer), [0, 1, 2]);
    assert.equal(buffer.overflowed, true);
  });

  it("stops waiting when the subscriber goes away", async () => {
    const buffer = new EventBuffer<number>();
    const controller = new AbortController();
    const drained = drainAll(buffer, controller.signal);
    buffer.push(7);
    await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort();
    assert.deepEqual(await drained, [7]);
  });
});
