import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { eventually } from "../../../test/helpers/wait.js";
import type { Channel, LiveBus } from "./liveBus.js";

/** Two instances of one deployment's bus (the same object for in-process) and how to end them. */
export interface BusPair {
  a: LiveBus;
  b: LiveBus;
  close: () => Promise<void>;
}

const channel = <T>(): Channel<T> => `test.${randomUUID()}` as Channel<T>;

/** The behaviour every LiveBus must have; each implementation's test file calls this with real parts. */
export function liveBusContract(name: string, open: () => Promise<BusPair>): void {
  describe(`LiveBus contract: ${name}`, () => {
    let a: LiveBus;
    let b: LiveBus;
    let close: () => Promise<void>;
    before(async () => ({ a, b, close } = await open()));
    after(() => close());

    it("delivers what one instance publishes to another's subscriber, every message in order", async () => {
      const ch = channel<{ n: number }>();
      const seen: number[] = [];
      const unsubscribe = await b.subscribe(ch, (m) => seen.push(m.n));
      for (let n = 0; n < 200; n++) await a.publish(ch, { n });
      await eventually(() => seen.length === 200, 5000);
      assert.deepEqual(
        seen,
        Array.from({ length: 200 }, (_, n) => n),
      );
      await unsubscribe();
    });

    it("keeps channels apart and stops delivering after unsubscribe, other listeners unaffected", async () => {
      const one = channel<string>();
      const two = channel<string>();
      const first: string[] = [];
      const second: string[] = [];
      const other: string[] = [];
      const stopFirst = await b.subscribe(one, (m) => first.push(m));
      const stopSecond = await b.subscribe(one, (m) => second.push(m));
      const stopOther = await b.subscribe(two, (m) => other.push(m));
      await a.publish(one, "x");
      await eventually(() => first.length === 1 && second.length === 1);
      await stopFirst();
      await a.publish(one, "y");
      await a.publish(two, "z");
      await eventually(() => second.length === 2 && other.length === 1);
      assert.deepEqual(first, ["x"]);
      assert.deepEqual(second, ["x", "y"]);
      assert.deepEqual(other, ["z"]);
      await stopSecond();
      await stopOther();
      // Subscribing again after the last listener left works as the first time.
      const again: string[] = [];
      const stopAgain = await b.subscribe(one, (m) => again.push(m));
      await a.publish(one, "w");
      await eventually(() => again.length === 1);
      await stopAgain();
    });

    it("gives concurrent subscribers of one channel every message published after each is in place", async () => {
      const ch = channel<number>();
      const seen: number[][] = [[], [], []];
      const stops = await Promise.all(seen.map((list) => b.subscribe(ch, (m) => list.push(m))));
      await a.publish(ch, 1);
      await eventually(() => seen.every((list) => list.length === 1));
      for (const stop of stops) await stop();
    });

    it("keeps a recent window of the newest items, oldest first, shared by every instance", async () => {
      const ch = channel<{ i: number }>();
      assert.deepEqual(await b.recent(ch), []);
      await a.remember(
        ch,
        Array.from({ length: 8 }, (_, i) => ({ i })),
        5,
      );
      await a.remember(ch, [{ i: 8 }, { i: 9 }], 5);
      assert.deepEqual(
        (await b.recent(ch)).map((item) => item.i),
        [5, 6, 7, 8, 9],
      );
    });
  });
}
