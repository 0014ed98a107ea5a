import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { join } from "node:path";
import { it } from "node:test";
import { Redactor, secretForms } from "./redact.js";

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

it("hides every encoding a script's traffic gives a value: both percent-encodings, + for space, base64", () => {
  const value = "Pa ss!(w0rd)*'é/+~";
  const r = new Redactor([value]);
  const python = [
    "Pa%20ss%21%28w0rd%29%2A%27%C3%A9%2F%2B~", // quote(v, safe="")
    "Pa+ss%21%28w0rd%29%2A%27%C3%A9%2F%2B~", // quote_plus
    "Pa%20ss%21%28w0rd%29%2A%27%C3%A9/%2B~", // quote(v), which keeps "/"
    "pa%20ss%21%28w0rd%29%2a%27%c3%a9%2f%2b~".replace("pa", "Pa"), // lower-case hex
  ];
  for (const form of [...python, encodeURIComponent(value), encodeURI(value)]) {
    assert.equal(r.text(`GET /login?p=${form}&x=1`), "GET /login?p=***&x=1", form);
  }
  const base64 = Buffer.from(value).toString("base64");
  assert.equal(r.text(`Basic ${base64}`), "Basic ***");
  assert.equal(r.text(`token=${Buffer.from(value).toString("base64url")}.`), "token=***.");
  assert.equal(r.text(JSON.stringify({ p: value })), '{"p":"***"}');
  assert.equal(r.text(`{"p": "Pa ss!(w0rd)*'\\u00e9/+~"}`), '{"p": "***"}', "Python's json.dumps");
});

it("lists the same forms as the generator's redaction (locust/loadmgr_locust/redact.py)", () => {
  const values = ["Pa ss!(w0rd)*'é/+~", "plain-secret-123", "a/b?c=d&e f"];
  const python = execFileSync(
    join(import.meta.dirname, "../../../.venv/locust/bin/python"),
    [
      "-c",
      "import json,sys; from loadmgr_locust.redact import variants; print(json.dumps([sorted(variants(v)) for v in json.load(sys.stdin)]))",
    ],
    { input: JSON.stringify(values), encoding: "utf-8" },
  );
  const theirs = JSON.parse(python) as string[][];
  values.forEach((value, i) => assert.deepEqual([...new Set(secretForms(value))].sort(), theirs[i], value));
});
