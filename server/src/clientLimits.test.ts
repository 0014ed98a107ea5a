import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ClientLimits } from "./clientLimits.js";
import { AppError } from "./errors.js";

const limits = () =>
  new ClientLimits({ heavyQueriesPerToken: 2, subscriptionsPerToken: 3, subscriptionsPerConnection: 2 });
const code = (error: unknown) => (error instanceof AppError ? error.appCode : String(error));

describe("ClientLimits", () => {
  it("lets a token run two heavy queries at once, refuses a third, and counts tokens apart", async () => {
    const limit = limits();
    const finishers: (() => void)[] = [];
    const slow = () => new Promise<void>((resolve) => finishers.push(resolve));
    const first = limit.heavyQuery("a", slow);
    await limit.heavyQuery("a", () => Promise.resolve());
    const third = limit.heavyQuery("a", slow);
    await assert.rejects(
      limit.heavyQuery("a", () => Promise.resolve()),
      (e) => code(e) === "TOO_MANY_HEAVY_QUERIES",
    );
    await limit.heavyQuery("b", () => Promise.resolve());
    for (const finish of finishers) finish();
    await Promise.all([first, third]);
    await limit.heavyQuery("a", () => Promise.resolve());
  });

  it("gives a heavy query's slot back when it fails", async () => {
    const limit = limits();
    for (let i = 0; i < 5; i++) await assert.rejects(limit.heavyQuery("a", () => Promise.reject(new Error("boom"))));
    await limit.heavyQuery("a", () => Promise.resolve());
  });

  it("counts subscriptions per connection and per token, and takes each back once", () => {
    const limit = limits();
    const one = { subscriptions: 0 };
    const two = { subscriptions: 0 };
    const a = limit.subscribe("t", one);
    limit.subscribe("t", one);
    assert.throws(
      () => limit.subscribe("t", one),
      (e) => code(e) === "TOO_MANY_SUBSCRIPTIONS",
    );
    limit.subscribe("t", two);
    assert.throws(
      () => limit.subscribe("t", two),
      (e) => code(e) === "TOO_MANY_SUBSCRIPTIONS",
    );
    a();
    a();
    assert.equal(one.subscriptions, 1);
    limit.subscribe("t", two);
    assert.equal(two.subscriptions, 2);
  });
});
