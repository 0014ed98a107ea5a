import assert from "node:assert/strict";
import { it } from "node:test";
import { unifiedDiff } from "./textDiff.js";

it("writes a unified diff with context and hunk headers, empty for equal texts", () => {
  const a = ["import x", "", "class A:", "    wait = 1", "    def t(self):", "        get('/')", ""].join("\n");
  const b = [
    "import x",
    "",
    "class A:",
    "    wait = 2",
    "    def t(self):",
    "        get('/')",
    "        get('/cart')",
    "",
  ].join("\n");
  assert.equal(
    unifiedDiff(a, b, ["revision 1", "revision 2"]),
    [
      "--- revision 1",
      "+++ revision 2",
      "@@ -1,6 +1,7 @@",
      " import x",
      " ",
      " class A:",
      "-    wait = 1",
      "+    wait = 2",
      "     def t(self):",
      "         get('/')",
      "+        get('/cart')",
      "",
    ].join("\n"),
  );
  assert.equal(unifiedDiff(a, a, ["x", "y"]), "");
});

it("splits far-apart changes into separate hunks", () => {
  const a = Array.from({ length: 20 }, (_, i) => `line ${i}`).join("\n");
  const b = a.replace("line 1\n", "line one\n").replace("line 18", "line eighteen");
  const diff = unifiedDiff(a, b, ["a", "b"]);
  assert.equal(diff.match(/^@@ /gm)?.length, 2);
  assert.match(diff, /^@@ -1,5 \+1,5 @@$/m);
  assert.match(diff, /^-line 18$\n^\+line eighteen$/m);
});
