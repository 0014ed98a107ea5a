import { createHash } from "node:crypto";
import { readdir, readFile, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { AgentPackage } from "@loadmgr/shared";

/** Where scripts/setup-python.sh builds the agent's wheel from locust/ (npm start and npm test run it). */
export const AGENT_WHEEL_DIR = resolve(import.meta.dirname, "../../../.venv/agent-wheel");

const WHEEL = /^loadmgr_locust-([0-9][0-9A-Za-z.+]*)-py3-none-any\.whl$/;

let cached: { key: string; info: AgentPackage; body: Buffer } | undefined;

/** The agent's wheel this server ships with, and its bytes; undefined when none is built. */
export async function agentWheel(dir = AGENT_WHEEL_DIR): Promise<{ info: AgentPackage; body: Buffer } | undefined> {
  const names = await readdir(dir).catch(() => [] as string[]);
  const fileName = names
    .filter((n) => WHEEL.test(n))
    .sort()
    .at(-1);
  if (fileName === undefined) return undefined;
  const path = join(dir, fileName);
  const facts = await stat(path).catch(() => undefined);
  if (facts === undefined) return undefined;
  // Read and hashed once per build of it, not per request.
  const key = `${path}:${facts.size}:${facts.mtimeMs}`;
  if (cached?.key !== key) {
    const body = await readFile(path);
    const info: AgentPackage = {
      fileName,
      version: WHEEL.exec(fileName)?.[1] ?? "",
      sha256: createHash("sha256").update(body).digest("hex"),
      bytes: body.length,
      path: `/agent/${fileName}`,
    };
    cached = { key, info, body };
  }
  return { info: cached.info, body: cached.body };
}
