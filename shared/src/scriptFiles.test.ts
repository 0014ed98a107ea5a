import assert from "node:assert/strict";
import { it } from "node:test";
import { MAX_REVISION_BYTES, MAX_SCRIPT_FILES, scriptFilesInputSchema } from "./scriptFiles.js";
import { fileChanges, pathProblem } from "./scriptPaths.js";

const b64 = (s: string) => Buffer.from(s).toString("base64");
const codes = (input: unknown) => {
  const result = scriptFilesInputSchema.safeParse(input);
  return result.success
    ? []
    : result.error.issues.map(
        (i) => `${i.path.join(".")}:${String((i as { params?: { code?: string } }).params?.code)}`,
      );
};

it("takes relative, normal paths only", () => {
  for (const ok of ["lib/helpers.py", "data/users.csv", "a b/ü.txt", ".env.example", "lib/.workers/x"])
    assert.equal(pathProblem(ok), null, ok);
  for (const bad of [
    "",
    "/etc/passwd",
    "../x",
    "a/../b",
    "a//b",
    "./a",
    ".workers/0/locustfile.py",
    "a/",
    "a\\b",
    "a\u0000b",
    "locustfile.py",
    "x".repeat(256),
  ]) {
    assert.notEqual(pathProblem(bad), null, JSON.stringify(bad));
  }
});

it("names each bad file by its index, with a stable code", () => {
  assert.deepEqual(codes([{ path: "ok.py", contentBase64: b64("x") }]), []);
  assert.deepEqual(
    codes([
      { path: "../up.py", contentBase64: b64("x") },
      { path: "a.py", contentBase64: "not base64!" },
      { path: "a.py", contentBase64: b64("y") },
      { path: "data.txt", contentBase64: b64("h\n1\n"), split: true },
    ]),
    [
      "0.path:INVALID_FILE_PATH",
      "1.contentBase64:FILE_NOT_BASE64",
      "2.path:DUPLICATE_FILE_PATH",
      "3.split:INVALID_FILE_PATH",
    ],
  );
  // A file cannot also be a directory, nor may anything live under the locustfile.
  assert.deepEqual(
    codes([
      { path: "lib", contentBase64: b64("x") },
      { path: "lib/h.py", contentBase64: b64("x") },
      { path: "locustfile.py/x", contentBase64: b64("x") },
    ]),
    ["1.path:DUPLICATE_FILE_PATH", "2.path:DUPLICATE_FILE_PATH"],
  );
});

it("holds at most 200 files and 10 MiB, counted without decoding", () => {
  const many = Array.from({ length: MAX_SCRIPT_FILES + 1 }, (_, i) => ({ path: `f${i}.txt`, contentBase64: b64("x") }));
  assert.equal(codes(many).length, 1);
  assert.equal(codes(many.slice(0, MAX_SCRIPT_FILES)).length, 0);
  const half = Buffer.alloc(MAX_REVISION_BYTES / 2).toString("base64");
  assert.deepEqual(
    codes([
      { path: "a.bin", contentBase64: half },
      { path: "b.bin", contentBase64: half },
    ]),
    [],
  );
  assert.deepEqual(
    codes([
      { path: "a.bin", contentBase64: half },
      { path: "b.bin", contentBase64: half },
      { path: "c.bin", contentBase64: b64("1") },
    ]),
    [":REVISION_TOO_LARGE"],
  );
});

it("says which files two revisions add, remove or change", () => {
  const f = (path: string, sha256: string, split = false) => ({ path, sha256, split, sizeBytes: 1 });
  assert.deepEqual(
    fileChanges([f("a", "1"), f("b", "2"), f("c", "3")], [f("b", "2"), f("c", "9"), f("d", "4"), f("a2", "1")]),
    [
      { path: "a", change: "removed" },
      { path: "a2", change: "added" },
      { path: "b", change: "unchanged" },
      { path: "c", change: "changed" },
      { path: "d", change: "added" },
    ],
  );
  assert.equal(fileChanges([f("u.csv", "1")], [f("u.csv", "1", true)])[0]?.change, "changed");
});
