import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createLogger } from "../logger.js";
import { probeSandbox } from "../runners/sandbox.js";
import { configSchema } from "../config.js";
import { pythonSyntaxProblem, syntaxMessage } from "./scriptCheck.js";

const logger = createLogger("silent");
const sandboxes = [
  { name: "in the run sandbox (bubblewrap)", status: probeSandbox(configSchema.parse({})) },
  { name: "without it", status: { mode: "off", available: false } as const },
];

for (const { name, status } of sandboxes) {
  describe(`a script's syntax, checked ${name}`, { skip: name.includes("bubblewrap") && !status.available }, () => {
    const check = (source: string) => pythonSyntaxProblem(source, "locustfile.py", status, logger);

    it("passes a script that compiles, without running it", async () => {
      assert.equal(await check("import os\nos._exit(3)\nfrom locust import HttpUser\n"), null);
    });

    it("names the line, column and Python's message of a syntax error", async () => {
      const problem = await check(
        "from locust import HttpUser, task\n\nclass U(HttpUser):\n    def x(self)\n        pass\n",
      );
      assert.deepEqual(problem, { file: "locustfile.py", line: 4, column: 16, message: "expected ':'" });
      assert.equal(syntaxMessage(problem), "locustfile.py, line 4, column 16: expected ':'");
      assert.match(syntaxMessage((await check("x = (\n")) ?? assert.fail("refused")), /line 1.*never closed/);
    });

    it("refuses hostile input without hanging or crashing the server: null bytes, nesting thousands deep", async () => {
      assert.match((await check("x = 1\0\n"))?.message ?? "", /null bytes/);
      const deep = await check(`x = ${"(".repeat(50_000)}1${")".repeat(50_000)}\n`);
      assert.ok(deep !== null, "refused");
      assert.match(deep.message, /too many nested parentheses|too complex|RecursionError|MemoryError|could not parse/);
    });

    it("checks many at once, each with its own answer", async () => {
      const answers = await Promise.all(
        Array.from({ length: 12 }, (_, i) => check(i % 2 === 0 ? "ok = 1\n" : `bad ${i} =\n`)),
      );
      assert.deepEqual(
        answers.map((a) => a === null),
        answers.map((_, i) => i % 2 === 0),
      );
    });
  });
}
