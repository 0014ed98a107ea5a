import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DEFAULT_LOCAL_COMMAND } from "../../server/src/runners/localRunner.js";
import { freePort } from "./ports.js";
import { eventually } from "./wait.js";

export const AGENT_TOKEN = "agent-token-0123456789abcdef";

export interface Agent {
  url: string;
  dir: string;
  process: ChildProcess;
}

/** `loadmgr-locust agent` on a second loopback port, as a load-generator host would run it. */
export async function startAgent(command = DEFAULT_LOCAL_COMMAND): Promise<Agent> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "loadmgr-agent-"));
  const child = spawn(command, ["agent", "--port", String(port), "--token", AGENT_TOKEN, "--dir", dir], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  let output = "";
  child.stdout?.on("data", (chunk: Buffer) => (output += chunk.toString()));
  await eventually(() => output.includes("listening"), 15_000, "the agent to listen");
  return { url: `http://127.0.0.1:${port}`, dir, process: child };
}
