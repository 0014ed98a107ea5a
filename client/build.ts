/**
 * Builds the package that `npm pack --workspace client` packs (its `prepack`): JavaScript for the
 * client and the `loadmgr` CLI (esbuild; @loadmgr/shared bundled in, registry packages left as
 * dependencies) and one self-contained `dist/index.d.ts` (tsc's declarations bundled by
 * rollup-plugin-dts), so that nothing of this repository is needed where the package is installed.
 */
import { rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { rollup } from "rollup";
import { dts } from "rollup-plugin-dts";
import ts from "typescript";

const client = dirname(fileURLToPath(import.meta.url));
const root = join(client, "..");
const dist = join(client, "dist");
const typesDir = join(dist, ".types");
/** What the package lists as dependencies: left as imports in its JavaScript and declarations. */
const EXTERNAL = ["@trpc/client", "@trpc/server", "ignore", "superjson", "ws", "zod"];

rmSync(dist, { recursive: true, force: true });

await build({
  entryPoints: { index: join(client, "src/index.ts"), "cli/bin": join(client, "src/cli/bin.ts") },
  outdir: dist,
  bundle: true,
  splitting: true,
  format: "esm",
  platform: "node",
  target: "node20",
  external: EXTERNAL,
  logLevel: "warning",
});

// Declarations of the client and of what its types reach (the router's, through the server's sources).
const config = ts.getParsedCommandLineOfConfigFile(
  join(root, "tsconfig.json"),
  {},
  {
    ...ts.sys,
    onUnRecoverableConfigFileDiagnostic: (d) => {
      throw new Error(ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    },
  },
);
if (config === undefined) throw new Error("no tsconfig.json");
const program = ts.createProgram([join(client, "src/index.ts"), join(root, "shared/src/index.ts")], {
  ...config.options,
  noEmit: false,
  declaration: true,
  emitDeclarationOnly: true,
  rootDir: root,
  outDir: typesDir,
});
const emitted = program.emit();
const problems = [...ts.getPreEmitDiagnostics(program), ...emitted.diagnostics];
if (problems.length > 0) {
  throw new Error(
    ts.formatDiagnostics(problems, { ...ts.sys, getCanonicalFileName: (f) => f, getNewLine: () => "\n" }),
  );
}

// Types only the server reads (its procedures' OpenAPI metadata) are not the client's business.
const serverOnly = join(typesDir, "server-only.d.ts");
writeFileSync(serverOnly, "export type OpenApiMeta = Record<string, unknown>;\n");
const bundle = await rollup({
  input: join(typesDir, "client/src/index.d.ts"),
  external: (id) => EXTERNAL.some((name) => id === name || id.startsWith(`${name}/`)),
  plugins: [
    {
      name: "workspace-types",
      resolveId: (id) =>
        id === "@loadmgr/shared"
          ? join(typesDir, "shared/src/index.d.ts")
          : id === "trpc-to-openapi"
            ? serverOnly
            : null,
    },
    dts(),
  ],
  onwarn: (warning) => {
    throw new Error(`declarations: ${warning.message}`);
  },
});
await bundle.write({ file: join(dist, "index.d.ts"), format: "es" });
await bundle.close();
rmSync(typesDir, { recursive: true, force: true });
process.stderr.write(`built ${dist}\n`);
