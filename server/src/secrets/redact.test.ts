import assert from "node:assert/strict";
import { it } from "node:test";
import { Redactor } from "./redact.js";

it("hides a value as it is, percent-encoded and JSON-escaped, in strings and in keys", () => {
  const r = new Redactor(["s3cr3t value/+", "s3cr3t"]);
  assert.equal(r.text("key=s3cr3t value/+ and s3cr3t"), "key=*** and ***");
  assert.equal(r.text(`/x?k=${encodeURIComponent("s3cr3t value/+")}`), "/x?k=***");
  const snapshot = {
    endpoints: { "GET /fail?key=s3cr3t": { errors: ["500 for url: /fail?key=s3cr3t"], n: 3 } },
    list: ["s3cr3t", 1, null, { deep: ["x s3cr3t"] }],
  };
  assert.deepEqual(r.deep(snapshot), {
    endpoints: { "GET /fail?key=***": { errors: ["500 for url: /fail?key=***"], n: 3 } },
    list: ["***", 1, null, { deep: ["x ***"] }],
  });
});

it("leaves everything as it is without values", () => {
  const value = { a: "s3cr3t" };
  assert.equal(new Redactor([]).deep(value), value);
  assert.equal(new Redactor([""]).text("abc"), "abc");
});
