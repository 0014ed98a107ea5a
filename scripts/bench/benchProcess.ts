import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { ServerProcess } from "../../test/helpers/serverProcess.js";

/**
 * Starts a server entry of this folder (apiOnlyServer.ts, bareJsonServer.ts) as its own process on a
 * free loopback port and resolves with the URL it prints. BENCH_CPU_PROF=DIR writes a CPU profile there.
 */
export async function startBenchProcess(script: string, env: Record<string, string>): Promise<ServerProcess> {
  const profile =
    process.env.BENCH_CPU_PROF !== undefined ? ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = spawn(process.execPath, [...profile, "--import", "tsx", resolve(import.meta.dirname, script)], {
    env: { ...process.env, HOST: "127.0.0.1", PORT: "0", ...env },
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  const url = await new Promise<string>((done, fail) => {
    child.once("exit", (code) => fail(new Error(`${script} exited with ${code}: ${output}`)));
    child.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Load Manager is up at (http:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) done(match[1]);
    });
  });
  child.removeAllListeners("exit");
  return { child, url, output: () => output };
}
