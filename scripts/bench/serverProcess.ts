import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface BenchServer {
  url: string;
  child: ChildProcess;
  dataDir: string;
  stop: () => Promise<void>;
}

export const BENCH_TOKEN = "bench-admin-token-0123456789";

/**
 * A real server, as `npm start` runs it (role all: it starts its host's agent), from the checkout at
 * `root` (this one, or an older one beside it), on a free loopback port with the given config;
 * `prefix` runs it through a wrapper (taskset).
 */
export async function startServerAt(root: string, config: string, prefix: string[] = []): Promise<BenchServer> {
  const dataDir = mkdtempSync(join(tmpdir(), "loadmgr-bench-server-"));
  const file = join(dataDir, "config.yaml");
  writeFileSync(file, config);
  const node = [process.execPath, "--import", "tsx", join(root, "server/src/main.ts"), "--config", file];
  const [command = process.execPath, ...args] = [...prefix, ...node];
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, PORT: "0", LOADMGR_DATA_DIR: dataDir, LOADMGR_API_TOKEN: BENCH_TOKEN, LOG_LEVEL: "info" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  const url = await new Promise<string>((done, fail) => {
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /"url":"(http:\/\/[^"]+)"/.exec(output);
      if (match?.[1] !== undefined) done(match[1].replace("0.0.0.0", "127.0.0.1"));
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.once("exit", (code) => fail(new Error(`the server at ${root} exited with ${code}: ${output.slice(-2000)}`)));
  });
  child.removeAllListeners("exit");
  return {
    url,
    child,
    dataDir,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** A JSON call with the bench's admin token. */
export async function api<T>(base: string, method: string, path: string, body?: unknown): Promise<T> {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { authorization: `Bearer ${BENCH_TOKEN}`, "content-type": "application/json" },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return JSON.parse(text) as T;
}

export const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;
