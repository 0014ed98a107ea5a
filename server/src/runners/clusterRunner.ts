import type { LocustClusterConfig } from "../config.js";
import type { Logger } from "../logger.js";
import type { Runner, RunnerState, RunSpec } from "./runner.js";

const TIMEOUT_MS = 10_000;

/** Runs Locust on a load-generator host by asking the `loadmgr-locust agent` there. */
export class ClusterRunner implements Runner {
  constructor(
    private readonly cluster: LocustClusterConfig,
    private readonly logger: Logger,
  ) {}

  async start(spec: RunSpec): Promise<void> {
    const response = await this.call("POST", "/runs", spec);
    if (!response.ok)
      throw new Error(`agent ${this.cluster.id} refused the run: ${response.status} ${await response.text()}`);
    this.logger.info({ runId: spec.runId, cluster: this.cluster.id }, "run started on cluster agent");
  }

  async stop(runId: string): Promise<void> {
    await this.action(runId, "stop");
  }

  async kill(runId: string): Promise<void> {
    await this.action(runId, "kill");
  }

  async inspect(runId: string): Promise<RunnerState> {
    let response: Response;
    try {
      response = await this.call("GET", `/runs/${encodeURIComponent(runId)}`);
    } catch (error) {
      return { state: "unreachable", error: error instanceof Error ? error.message : String(error) };
    }
    if (response.status === 404) return { state: "unknown" };
    if (!response.ok) return { state: "unreachable", error: `agent answered ${response.status}` };
    const body = (await response.json()) as {
      state: string;
      exitCode?: number | null;
      signal?: string | null;
      logTail?: string;
      message?: string;
    };
    if (body.state === "running") return { state: "running" };
    return {
      state: "exited",
      exitCode: body.exitCode ?? null,
      signal: body.signal ?? null,
      logTail: body.logTail ?? "",
      ...(typeof body.message === "string" ? { limit: body.message } : {}),
    };
  }

  private async action(runId: string, action: "stop" | "kill"): Promise<void> {
    const response = await this.call("POST", `/runs/${encodeURIComponent(runId)}/${action}`);
    if (!response.ok && response.status !== 404) {
      throw new Error(`agent ${this.cluster.id} could not ${action} run ${runId}: ${response.status}`);
    }
  }

  private call(method: string, path: string, body?: unknown): Promise<Response> {
    return fetch(
      new URL(path.slice(1), this.cluster.baseUrl.endsWith("/") ? this.cluster.baseUrl : `${this.cluster.baseUrl}/`),
      {
        method,
        headers: {
          authorization: `Bearer ${this.cluster.authToken}`,
          ...(body !== undefined ? { "content-type": "application/json" } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(TIMEOUT_MS),
      },
    );
  }
}
