import { allowedHostName, type LoadTest } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { Store } from "../store/store.js";
import { AppError } from "../errors.js";

type TestPlacement = Pick<LoadTest, "accountId" | "orgId" | "projectId" | "envId" | "locustClusterId">;

/** A test may name an agent pool of its own account/org/project (and env, when the pool has one), and not a cluster too. */
export async function checkAgentPool(store: Store, test: TestPlacement & Pick<LoadTest, "agentPool">): Promise<void> {
  if (test.agentPool === null) return;
  const pool = await store.pools.get(test.agentPool);
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

/** Push-mode clusters are retired: a test names none (tests saved before keep theirs, and cannot run). */
export function checkCluster(test: Pick<LoadTest, "locustClusterId">): void {
  if (test.locustClusterId === null || test.locustClusterId === undefined) return;
  throw new AppError(
    "CLUSTERS_RETIRED",
    "push-mode Locust clusters are retired: put the test on an agent pool (agentPool) whose agents dial out to the server",
    "locustClusterId",
  );
}

function hostMatches(host: string, pattern: string): boolean {
  const p = pattern.toLowerCase();
  return p.startsWith("*.") ? host.endsWith(p.slice(1)) : host === p;
}

/**
 * When the test's project has a target allow-list, the target's host and every host the test allows
 * its scripts to reach must be on it (a wildcard or CIDR entry only as a pattern the list has itself).
 */
export function checkTarget(
  config: Config,
  test: Pick<LoadTest, "accountId" | "orgId" | "projectId" | "targetUrl"> & { allowedHosts?: string[] },
): void {
  const lists = config.security.targetAllowLists.filter(
    (l) => l.accountId === test.accountId && l.orgId === test.orgId && l.projectId === test.projectId,
  );
  if (lists.length === 0) return;
  const allowed = (host: string): boolean => lists.some((l) => l.hosts.some((p) => hostMatches(host, p) || host === p));
  const host = new URL(test.targetUrl).hostname.toLowerCase().replace(/^\[|\]$/g, "");
  if (!allowed(host)) {
    throw new AppError("TARGET_NOT_ALLOWED", `host ${host} is not on this project's target allow-list`, "targetUrl");
  }
  for (const [i, entry] of (test.allowedHosts ?? []).entries()) {
    const name = allowedHostName(entry);
    if (!allowed(name)) {
      throw new AppError(
        "TARGET_NOT_ALLOWED",
        `host ${name} is not on this project's target allow-list`,
        `allowedHosts.${i}`,
      );
    }
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
