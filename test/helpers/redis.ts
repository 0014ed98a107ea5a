import { spawn } from "node:child_process";
import { freePort } from "./ports.js";

export interface RedisServer {
  url: string;
  /** Stops it: connections are refused from then on. */
  stop: () => Promise<void>;
  /**
   * Holds it still (SIGSTOP): its connections stay open and nothing answers, so a client that waits on
   * it waits for ever rather than until its retries give up. `thaw` or `stop` ends it.
   */
  freeze: () => void;
  thaw: () => void;
}

/** A real redis-server (Debian's package, installed by scripts/setup-test.sh) on a free loopback port. */
export async function startRedis(options: { databases?: number; port?: number } = {}): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(
    "redis-server",
    [
      ...["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      ...["--databases", String(options.databases ?? 16)],
    ],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  await new Promise<void>((resolve, reject) => {
    let output = "";
    const timer = setTimeout(() => reject(new Error(`redis-server did not start: ${output}`)), 10_000);
    child.once("error", reject);
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes("Ready to accept connections")) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () =>
      new Promise((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        child.kill("SIGCONT");
      }),
    freeze: () => child.kill("SIGSTOP"),
    thaw: () => child.kill("SIGCONT"),
  };
}
