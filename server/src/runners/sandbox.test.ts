import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { configSchema } from "../config.js";
import { probeSandbox } from "./sandbox.js";

const config = (sandbox: "on" | "off") => configSchema.parse({ runner: { sandbox } });

describe("probeSandbox", () => {
  it("finds bubblewrap's namespaces on this machine", () => {
    assert.deepEqual(probeSandbox(config("on")), { mode: "on", available: true });
  });

  it("fails closed, saying why, when bubblewrap is missing or cannot make its namespaces", () => {
    const missing = probeSandbox(config("on"), "/nonexistent/bwrap");
    assert.equal(missing.available, false);
    assert.match(
      missing.mode === "on" && !missing.available ? missing.reason : "",
      /bubblewrap \(bwrap\) is not installed/,
    );
    const refused = probeSandbox(config("on"), "/usr/bin/false");
    assert.match(refused.mode === "on" && !refused.available ? refused.reason : "", /cannot make its namespaces/);
  });

  it("is off, without probing, when the operator says so", () => {
    assert.deepEqual(probeSandbox(config("off"), "/nonexistent/bwrap"), { mode: "off", available: false });
  });
});
