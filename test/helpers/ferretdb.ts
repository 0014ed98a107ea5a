import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { createInterface } from "node:readline";
import { startPostgres } from "./postgres.js";

export const FERRETDB_HELPER = resolve(import.meta.dirname, "../ferretdb/ferretdb-helper");

/** FerretDB's backend: SQLite (the default), or PostgreSQL (LOADMGR_TEST_FERRETDB_BACKEND=postgresql). */
export type FerretBackend = "sqlite" | "postgresql";

export const ferretBackend = (): FerretBackend =>
  process.env.LOADMGR_TEST_FERRETDB_BACKEND === "postgresql" ? "postgresql" : "sqlite";

/**
 * A real MongoDB wire-protocol server for tests: MONGODB_URI when given, otherwise FerretDB from the
 * Go helper that `scripts/setup-test.sh` builds, on its SQLite backend or on a throwaway PostgreSQL
 * cluster (`backend`, by default LOADMGR_TEST_FERRETDB_BACKEND's).
 */
export async function startMongoWireServer(
  options: { port?: number; dir?: string; backend?: FerretBackend } = {},
): Promise<{ uri: string; stop: () => Promise<void> }> {
  const external = process.env.MONGODB_URI;
  if (external !== undefined && external !== "" && options.port === undefined) {
    return { uri: external, stop: () => Promise.resolve() };
  }
  if (!existsSync(FERRETDB_HELPER)) {
    throw new Error(`${FERRETDB_HELPER} is missing: run \`bash scripts/setup-test.sh\` (npm test does)`);
  }
  const backend = options.backend ?? ferretBackend();
  if (backend === "postgresql" && options.dir !== undefined) {
    throw new Error("a restart on the same data is for the SQLite backend (its directory)");
  }
  const postgres = backend === "postgresql" ? await startPostgres() : undefined;
  // A given directory is the caller's (a restart on the same data): kept when this one stops.
  const dir = options.dir ?? mkdtempSync(join(tmpdir(), "loadmgr-ferretdb-"));
  const store = postgres !== undefined ? ["--postgresql", postgres.url] : ["--dir", dir];
  const child = spawn(FERRETDB_HELPER, ["--listen", `127.0.0.1:${options.port ?? 0}`, ...store], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const uri = await new Promise<string>((resolveUri, reject) => {
    const timer = setTimeout(() => reject(new Error("FerretDB helper did not start within 20 s")), 20_000);
    child.once("exit", (code) => reject(new Error(`FerretDB helper exited with ${code}`)));
    createInterface({ input: child.stdout }).once("line", (line) => {
      clearTimeout(timer);
      resolveUri(line.trim());
    });
  });
  return {
    uri,
    stop: () =>
      new Promise((done) => {
        child.once("exit", () => {
          if (options.dir === undefined) rmSync(dir, { recursive: true, force: true });
          void (postgres?.stop() ?? Promise.resolve()).then(done);
        });
        child.kill("SIGTERM");
      }),
  };
}
