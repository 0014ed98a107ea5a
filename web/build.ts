/** Builds the dashboard into web/dist: index.html, app.js, app.css and chunks, what the server serves at `/`. */
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";

const root = import.meta.dirname;
const outdir = join(root, "dist");
// Chunk names change with their content: start empty so that old ones do not pile up.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: join(root, "src/main.tsx") },
  outdir,
  bundle: true,
  format: "esm",
  // The code editor (CodeMirror) is loaded when a page shows it, in a chunk of its own.
  splitting: true,
  chunkNames: "chunk-[hash]",
  target: "es2022",
  minify: true,
  sourcemap: "linked",
  jsx: "automatic",
  jsxImportSource: "preact",
  legalComments: "linked",
  metafile: true,
  logLevel: "warning",
});
copyFileSync(join(root, "index.html"), join(outdir, "index.html"));
const bytes = Object.entries(result.metafile.outputs)
  .filter(([file]) => !file.endsWith(".map") && !file.endsWith(".LEGAL.txt"))
  .map(([file, { bytes }]) => `${file.replace(`${root}/`, "")} ${(bytes / 1024).toFixed(0)} KiB`);
process.stdout.write(`web: built ${bytes.join(", ")}\n`);
