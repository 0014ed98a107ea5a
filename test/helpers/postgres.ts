import { execFileSync, spawn } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "./ports.js";

/** Debian's PostgreSQL binaries (`scripts/setup-test.sh` installs the `postgresql` package), newest first. */
function binDir(): string {
  const root = "/usr/lib/postgresql";
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, "bin", "initdb")))
        .sort((a, b) => Number(b) - Number(a))
    : [];
  if (versions[0] === undefined)
    throw new Error("PostgreSQL is missing: run `bash scripts/setup-test.sh` (npm test does)");
  return join(root, versions[0], "bin");
}

/** PostgreSQL refuses to run as root: the cluster runs as Debian's `postgres` user. */
const AS_POSTGRES = ["-u", "postgres", "--"];

/**
 * A throwaway PostgreSQL cluster on a loopback port (its own data directory, trust auth, the
 * package's default settings, fsync included), with a database `ferretdb`; removed on stop.
 */
export async function startPostgres(): Promise<{ url: string; stop: () => Promise<void> }> {
  const bin = binDir();
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-postgres-"));
  const owner = execFileSync("id", ["-u", "postgres"], { encoding: "utf-8" }).trim();
  const group = execFileSync("id", ["-g", "postgres"], { encoding: "utf-8" }).trim();
  chownSync(dir, Number(owner), Number(group));
  const data = join(dir, "data");
  execFileSync("runuser", [...AS_POSTGRES, join(bin, "initdb"), "-D", data, "-A", "trust", "-U", "postgres"], {
    stdio: "ignore",
  });
  const port = await freePort();
  const server = spawn(
    "runuser",
    [
      ...AS_POSTGRES,
      join(bin, "postgres"),
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let log = "";
  server.stderr.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const ready = (): boolean => {
    try {
      execFileSync(join(bin, "pg_isready"), ["-h", "127.0.0.1", "-p", String(port)], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  };
  const deadline = Date.now() + 30_000;
  while (!ready()) {
    if (server.exitCode !== null || Date.now() > deadline) {
      server.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`PostgreSQL did not start: ${log}`);
    }
    await sleep(100);
  }
  execFileSync(join(bin, "createdb"), ["-h", "127.0.0.1", "-p", String(port), "-U", "postgres", "ferretdb"]);
  return {
    url: `postgres://postgres@127.0.0.1:${port}/ferretdb`,
    stop: () =>
      new Promise((done) => {
        const finish = (): void => {
          rmSync(dir, { recursive: true, force: true });
          done();
        };
        if (server.exitCode !== null) return finish();
        server.once("exit", finish);
        // An immediate shutdown, signalled to the postmaster itself (runuser passes SIGQUIT on to
        // nobody): the cluster is thrown away, so a shutdown checkpoint (a minute here, on gVisor's
        // fsync) would buy nothing.
        const postmaster = Number(readFileSync(join(data, "postmaster.pid"), "utf-8").split("\n")[0]);
        process.kill(postmaster, "SIGQUIT");
      }),
  };
}
