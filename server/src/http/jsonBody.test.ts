import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { csvCell } from "./csvExport.js";
import type { IncomingMessage } from "node:http";
import { jsonDepth, readJsonBody } from "./jsonBody.js";

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

it("takes JSON's own whitespace as no body, and refuses other blanks (a form feed) as not JSON", async () => {
  const { Readable } = await import("node:stream");
  const request = (text: string): IncomingMessage =>
    Object.assign(Readable.from([Buffer.from(text)]), { headers: {} }) as unknown as IncomingMessage;
  const empty = request(" \r\n\t");
  await readJsonBody(empty, 1024, "parsed");
  assert.equal((empty as unknown as { body: unknown }).body, undefined);
  for (const blank of ["\f", "\u00a0", "\v"]) {
    await assert.rejects(readJsonBody(request(blank), 1024, "parsed"), /the body is not JSON/, JSON.stringify(blank));
  }
});
