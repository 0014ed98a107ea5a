import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { AppError } from "../errors.js";
import { checkCron, nextTick } from "./cron.js";

const NOW = Date.UTC(2026, 11, 3, 9, 30, 0); // a Thursday

describe("schedules' cron expressions", () => {
  it("gives the next tick in the schedule's time zone, across a daylight-saving change", () => {
    assert.equal(nextTick("0 2 * * *", "UTC", NOW), Date.UTC(2026, 11, 4, 2, 0, 0));
    // 02:00 in Berlin is 01:00 UTC in winter.
    assert.equal(nextTick("0 2 * * *", "Europe/Berlin", NOW), Date.UTC(2026, 11, 4, 1, 0, 0));
    assert.equal(nextTick("0 9 * * 1-5", "America/New_York", NOW), Date.UTC(2026, 11, 3, 14, 0, 0));
    // 29 March 2026: Berlin moves from UTC+1 to UTC+2; 03:30 local is 01:30 UTC that day.
    assert.equal(nextTick("30 3 * * *", "Europe/Berlin", Date.UTC(2026, 2, 29, 0, 0)), Date.UTC(2026, 2, 29, 1, 30));
  });

  it("refuses what does not parse, the wrong number of fields, and ticks closer than allowed, at cron", () => {
    const refused = (cron: string, min = 60): string => {
      try {
        checkCron(cron, "UTC", min, NOW);
      } catch (error) {
        assert.ok(error instanceof AppError);
        assert.equal(error.appCode, "INVALID_CRON");
        assert.equal(error.field, "cron");
        return error.message;
      }
      return "accepted";
    };
    assert.equal(refused("0 2 * * *"), "accepted");
    assert.equal(refused("*/5 * * * *"), "accepted");
    assert.match(refused("0 2 * *"), /has 4 fields/);
    assert.match(refused("61 2 * * *"), /is not a cron expression/);
    assert.match(refused("* * * * * *"), /ticks 1 s apart; .* at least 60 s/);
    assert.equal(refused("*/2 * * * * *", 2), "accepted");
    assert.match(refused("0 */30 * * * *", 3600), /ticks 1800 s apart/);
  });
});
