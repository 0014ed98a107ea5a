/**
 * The commands that make a host a generator of a pool, from the server alone: the agent's wheel as
 * this server serves it (pip checks its sha256 before installing), then the agent, dialling out.
 * No schema here: the dashboard shows them too.
 */

/** The agent's wheel as the server offers it (GET /v1/agent-package). */
export interface AgentPackageInfo {
  fileName: string;
  version: string;
  sha256: string;
  bytes: number;
  /** Where this server serves it, from its root: /agent/<fileName>. */
  path: string;
}

/** The venv the commands make, relative to where they run. */
export const AGENT_VENV = "lm";

/** The install and start commands for a host, with the server's address as the host reaches it. */
export function agentInstallCommands(
  serverUrl: string,
  wheel: AgentPackageInfo,
  token = "<the pool's token>",
): string[] {
  const base = serverUrl.replace(/\/+$/, "");
  return [
    `python3 -m venv ${AGENT_VENV} && ${AGENT_VENV}/bin/pip install "${base}${wheel.path}#sha256=${wheel.sha256}"`,
    `LOADMGR_AGENT_TOKEN=${token} ${AGENT_VENV}/bin/loadmgr-locust agent --server ${base}`,
  ];
}
