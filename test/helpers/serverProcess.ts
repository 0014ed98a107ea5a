import { spawn, type ChildProcess } from "node:child_process";
import { resolve } from "node:path";

const ROOT = resolve(import.meta.dirname, "../..");

export interface ServerProcess {
  child: ChildProcess;
  /** The URL the process said it serves ("" for a worker). */
  url: string;
  output: () => string;
}

const SERVING = /Load Manager is up at (http:\/\/\S+)|"url":"(http:\/\/[^"]+)"/;
const WORKING = /Load Manager worker running/;

/** Starts the real server process the way `npm start` does (after its install step), in any role. */
export function startServerProcess(env: Record<string, string>, args: string[] = []): Promise<ServerProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "server/src/main.ts", ...args], {
    cwd: ROOT,
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", LOG_LEVEL: "info", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  let started = false;
  return new Promise((resolveStart, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`server did not start:\n${output}`));
    }, 20_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = SERVING.exec(output);
      if (!started && (match !== null || WORKING.test(output))) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners("exit");
        resolveStart({ child, url: match?.[1] ?? match?.[2] ?? "", output: () => output });
      }
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(Object.assign(new Error(`server exited with ${code}:\n${output}`), { code, output }));
    });
  });
}

/** SIGTERM, resolving with the exit code. */
export function stopServerProcess(child: ChildProcess): Promise<number | null> {
  return new Promise((done) => {
    if (child.exitCode !== null || child.signalCode !== null) return done(child.exitCode);
    child.once("exit", (code) => done(code));
    child.kill("SIGTERM");
  });
}
