import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { csvCell } from "./csvExport.js";
import { jsonDepth } from "./jsonBody.js";

describe("jsonDepth", () => {
  it("counts nesting of objects and arrays, not brackets inside strings", () => {
    assert.equal(jsonDepth("1"), 0);
    assert.equal(jsonDepth('{"a":[1,{"b":2}]}'), 3);
    assert.equal(jsonDepth('{"a":"[[[[{{{{\\"]]]"}'), 1);
    assert.equal(jsonDepth(`${"[".repeat(5000)}${"]".repeat(5000)}`), 5000);
  });
});

describe("csvCell", () => {
  it("neutralises text a spreadsheet would run as a formula, and quotes what needs it", () => {
    assert.equal(csvCell("=1+1"), `"'=1+1"`);
    assert.equal(csvCell("@SUM(A1)"), `"'@SUM(A1)"`);
    assert.equal(csvCell("-x"), `"'-x"`);
    assert.equal(csvCell("+x"), `"'+x"`);
    assert.equal(csvCell("\tx"), `"'\tx"`);
    assert.equal(csvCell("/items"), "/items");
    assert.equal(csvCell('a,"b"'), `"a,""b"""`);
    assert.equal(csvCell(-5), "-5");
    assert.equal(csvCell(null), "");
  });
});
