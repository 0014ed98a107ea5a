import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { change, count, duration, measured, ms, percent, perSecond, whenIn, whenUtc } from "./format.js";

describe("number formats (dashboard, report, CI summary)", () => {
  it("writes moments for other readers in UTC", () => {
    assert.equal(whenUtc(Date.UTC(2026, 10, 23, 21, 4, 5)), "2026-11-23 21:04:05 UTC");
    assert.equal(whenUtc(null), "—");
  });

  it("writes a schedule's moments in its own time zone, naming it", () => {
    // 01:00 UTC in December is 02:00 in Berlin (CET) and 20:00 the day before in New York (EST).
    assert.equal(whenIn(Date.UTC(2026, 11, 7, 1, 0, 0), "Europe/Berlin"), "2026-12-07 02:00:00 Europe/Berlin");
    assert.equal(whenIn(Date.UTC(2026, 11, 7, 1, 0, 0), "America/New_York"), "2026-12-06 20:00:00 America/New_York");
    assert.equal(whenIn(null, "UTC"), "—");
  });

  it("writes each kind of figure with its unit and precision", () => {
    assert.equal(count(1234567), "1,234,567");
    assert.equal(perSecond(12.345), "12.3/s");
    assert.equal(ms(4.26), "4.3 ms");
    assert.equal(ms(312.4), "312 ms");
    assert.equal(ms(1520), "1,520 ms");
    assert.equal(ms(12_345), "12.3 s");
    assert.equal(percent(0.125), "0.13 %");
    assert.equal(duration(59), "59 s");
    assert.equal(duration(185), "3 m 05 s");
    assert.equal(duration(7260), "2 h 01 m");
  });

  it("writes changes as signed percentages, and says when a side is missing", () => {
    assert.equal(change(100, 112), "+12 %");
    assert.equal(change(100, 90), "-10 %");
    assert.equal(change(null, 5), "new");
    assert.equal(change(5, null), "gone");
    assert.equal(change(0, 0), "±0 %");
  });
});

it("shows a threshold's measured value in its metric's unit", () => {
  assert.equal(measured("p95<300", 312.4), "312 ms");
  assert.equal(measured("GET /api:p99<500", 8.25), "8.3 ms");
  assert.equal(measured("error_rate<1%", 2.5), "2.50 %");
  assert.equal(measured("rps>50", 48.24), "48.2/s");
});
