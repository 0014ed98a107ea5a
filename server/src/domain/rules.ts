import type { LoadTest } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { AppError } from "../errors.js";

type TestPlacement = Pick<LoadTest, "accountId" | "orgId" | "projectId" | "envId" | "locustClusterId">;

/** A test may name an agent pool of its own account/org/project (and env, when the pool has one), and not a cluster too. */
export async function checkAgentPool(store: Store, test: TestPlacement & Pick<LoadTest, "agentPool">): Promise<void> {
  if (test.agentPool === null) return;
  if (test.locustClusterId !== null) {
    throw new AppError(
      "CLUSTER_AND_POOL",
      "a test runs on an agent pool or on a Locust cluster, not both",
      "agentPool",
    );
  }
  const pool = await store.getAgentPool(test.agentPool);
  const sameScope =
    pool !== undefined &&
    pool.accountId === test.accountId &&
    pool.orgId === test.orgId &&
    pool.projectId === test.projectId;
  if (pool === undefined || !sameScope) {
    // Another project's pool is not named as existing.
    throw new AppError("UNKNOWN_AGENT_POOL", `no agent pool "${test.agentPool}" in this project`, "agentPool");
  }
  if (pool.envId !== null && pool.envId !== test.envId) {
    throw new AppError(
      "AGENT_POOL_OUT_OF_SCOPE",
      `agent pool "${pool.name}" serves env ${pool.envId} only`,
      "agentPool",
    );
  }
}

/** A test may name only a configured cluster of its own account/org/project (and env, when the cluster has one). */
export function checkCluster(config: Config, test: TestPlacement): void {
  if (test.locustClusterId === null) return;
  const cluster = config.locustClusters.find((c) => c.id === test.locustClusterId);
  if (cluster === undefined) {
    throw new AppError(
      "UNKNOWN_CLUSTER",
      `no Locust cluster "${test.locustClusterId}" is configured`,
      "locustClusterId",
    );
  }
  const sameScope =
    cluster.accountId === test.accountId && cluster.orgId === test.orgId && cluster.projectId === test.projectId;
  if (!sameScope || (cluster.envId !== undefined && cluster.envId !== test.envId)) {
    throw new AppError(
      "CLUSTER_OUT_OF_SCOPE",
      `Locust cluster "${cluster.id}" belongs to another account/org/project/env`,
      "locustClusterId",
    );
  }
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  return p.startsWith("*.") ? host.endsWith(p.slice(1)) : host === p;
}

/** When the test's project has a target allow-list, the target's host must be on it. */
export function checkTarget(
  config: Config,
  test: Pick<LoadTest, "accountId" | "orgId" | "projectId" | "targetUrl">,
): void {
  const lists = config.security.targetAllowLists.filter(
    (l) => l.accountId === test.accountId && l.orgId === test.orgId && l.projectId === test.projectId,
  );
  if (lists.length === 0) return;
  const host = new URL(test.targetUrl).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (!lists.some((l) => l.hosts.some((p) => hostMatches(host, p)))) {
    throw new AppError("TARGET_NOT_ALLOWED", `host ${host} is not on this project's target allow-list`, "targetUrl");
  }
}

export function checkDurations(
  test: Pick<LoadTest, "defaultDurationSec" | "maxDurationSec">,
  field: "defaultDurationSec" | "maxDurationSec",
): void {
  if (test.defaultDurationSec > test.maxDurationSec) {
    throw new AppError(
      "DURATION_ABOVE_MAX",
      `defaultDurationSec (${test.defaultDurationSec}) is above maxDurationSec (${test.maxDurationSec})`,
      field,
    );
  }
}
