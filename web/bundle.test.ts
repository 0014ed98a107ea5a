import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { build } from "esbuild";

it("bundles no schema library and no server code into the dashboard", async () => {
  const result = await build({
    entryPoints: { app: join(import.meta.dirname, "src/main.tsx") },
    outdir: "/nonexistent",
    write: false,
    bundle: true,
    format: "esm",
    splitting: true,
    minify: true,
    jsx: "automatic",
    jsxImportSource: "preact",
    metafile: true,
    logLevel: "error",
  });
  // What ends up in the files (a module read and then shaken out adds nothing).
  const inputs = Object.values(result.metafile.outputs).flatMap((output) =>
    Object.entries(output.inputs)
      .filter(([, { bytesInOutput }]) => bytesInOutput > 0)
      .map(([path]) => path),
  );
  assert.ok(
    inputs.some((path) => path.startsWith("web/src/")),
    "the dashboard's own modules are read",
  );
  assert.deepEqual(
    inputs.filter((path) =>
      /node_modules\/zod\/|^server\/|@trpc\/server\/dist\/(?!observable|codes|getErrorShape|asyncGeneratorDelegate|resolveResponse)/.test(
        path,
      ),
    ),
    [],
  );
});
