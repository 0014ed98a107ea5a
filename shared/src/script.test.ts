import assert from "node:assert/strict";
import { it } from "node:test";
import { MAX_SCRIPT_BYTES, decodeScript, encodeScript } from "./script.js";

it("decodes valid base64 of UTF-8 text, also wrapped across lines", () => {
  const text = "from locust import HttpUser\n# ünïcode ✓\n";
  const encoded = encodeScript(text);
  assert.deepEqual(decodeScript(encoded), { ok: true, text });
  assert.deepEqual(decodeScript(encoded.replace(/(.{10})/g, "$1\n")), { ok: true, text });
});

it("names the rule a script breaks", () => {
  const problem = (b64: string) => {
    const r = decodeScript(b64);
    return r.ok ? "ok" : r.problem;
  };
  assert.equal(problem("abc"), "SCRIPT_NOT_BASE64");
  assert.equal(problem("ab$="), "SCRIPT_NOT_BASE64");
  assert.equal(problem(""), "SCRIPT_EMPTY");
  assert.equal(problem(encodeScript(" \n ")), "SCRIPT_EMPTY");
  assert.equal(problem(Buffer.from([0xc3, 0x28]).toString("base64")), "SCRIPT_NOT_UTF8");
  assert.equal(problem(encodeScript("x".repeat(MAX_SCRIPT_BYTES))), "ok");
  assert.equal(problem(encodeScript("x".repeat(MAX_SCRIPT_BYTES + 1))), "SCRIPT_TOO_LARGE");
});

it("checks megabytes of base64 in linear time, and refuses a script over 1 MiB without decoding it", () => {
  const huge = decodeScript("A".repeat(15 * 1024 * 1024));
  assert.deepEqual(huge.ok ? "decoded" : huge.problem, "SCRIPT_TOO_LARGE");
  const broken = decodeScript(`${"A".repeat(15 * 1024 * 1024)}!`);
  assert.deepEqual(broken.ok ? "decoded" : broken.problem, "SCRIPT_NOT_BASE64");
});
