/**
 * Builds the dashboard into web/dist, what the server serves at `/`: index.html, and the scripts and
 * styles it loads under names that carry a hash of their content (app-<hash>.js, chunk-<hash>.js,
 * app-<hash>.css), so that a browser may keep them for good; each with a gzip and a brotli copy
 * beside it (.gz, .br), made once here rather than on every request.
 */
import { readFileSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";
import { build } from "esbuild";

const root = import.meta.dirname;
const outdir = join(root, "dist");
// Names change with their content: start empty so that old ones do not pile up.
rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: { app: join(root, "src/main.tsx") },
  outdir,
  bundle: true,
  format: "esm",
  // The code editor (CodeMirror) is loaded when a page shows it, in a chunk of its own.
  splitting: true,
  entryNames: "[name]-[hash]",
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

const outputs = Object.entries(result.metafile.outputs).map(([file, output]) => ({ file, ...output }));
const entry = outputs.find((o) => o.entryPoint !== undefined && o.file.endsWith(".js"));
if (entry?.cssBundle === undefined) throw new Error("esbuild made no app script and style sheet");
const page = readFileSync(join(root, "index.html"), "utf-8")
  .replace('href="/app.css"', `href="/${basename(entry.cssBundle)}"`)
  .replace('src="/app.js"', `src="/${basename(entry.file)}"`);
if (!page.includes(basename(entry.file)) || !page.includes(basename(entry.cssBundle))) {
  throw new Error("web/index.html no longer names /app.js and /app.css");
}
writeFileSync(join(outdir, "index.html"), page);

const served = [join(outdir, "index.html"), ...outputs.map((o) => o.file)].filter((f) => /\.(js|css|html)$/.test(f));
for (const file of served) {
  const body = readFileSync(file);
  writeFileSync(`${file}.gz`, gzipSync(body, { level: 9 }));
  writeFileSync(
    `${file}.br`,
    brotliCompressSync(body, {
      params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: body.length },
    }),
  );
}
const kib = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
const sizes = served.map(
  (f) => `${basename(f)} ${kib(readFileSync(f).length)} (br ${kib(readFileSync(`${f}.br`).length)})`,
);
process.stdout.write(`web: built ${sizes.join(", ")}\n`);
