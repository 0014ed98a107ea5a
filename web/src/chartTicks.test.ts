import assert from "node:assert/strict";
import { it } from "node:test";
import { clockTicks, TICK_STEPS } from "./chartTicks.js";

it("labels ticks in 24-hour clock time with the date under the first and on a new day, never below a second", () => {
  const zone = process.env.TZ;
  process.env.TZ = "Europe/Berlin";
  try {
    const at = (iso: string) => Date.parse(iso) / 1000;
    assert.deepEqual(
      clockTicks([at("2026-12-06T22:59:50Z"), at("2026-12-06T22:59:55Z"), at("2026-12-06T23:00:00Z")], 5),
      ["23:59:50\n2026-12-06", "23:59:55", "00:00:00\n2026-12-07"],
    );
    assert.deepEqual(clockTicks([at("2026-12-07T06:30:00Z"), at("2026-12-07T06:45:00Z")], 900), [
      "07:30\n2026-12-07",
      "07:45",
    ]);
  } finally {
    if (zone === undefined) delete process.env.TZ;
    else process.env.TZ = zone;
  }
  assert.ok(TICK_STEPS.every((step) => Number.isInteger(step) && step >= 1));
});
