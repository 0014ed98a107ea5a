import { REGION_LABEL, type CreateRunInput, type LoadTest, type LoadTestRun, type RunTrigger } from "@loadmgr/shared";
import type { Config } from "../config.js";
import { AppError, notFound } from "../errors.js";
import { newId } from "../ids.js";
import { checkSecretsExist, type SecretValues } from "../secrets/secretValues.js";
import type { Store } from "../store/store.js";
import { checkAgentPool, checkCluster, checkTarget } from "../domain/rules.js";
import { runLoad, shapeNote } from "../domain/runLoad.js";
import type { RunService } from "./runService.js";

/** What starting a run needs of the server. */
export interface NewRunDeps {
  config: Config;
  store: Store;
  runs: RunService;
  secrets: SecretValues;
  now: () => number;
}

/**
 * A pool run's worker request; workers, minWorkers, labels and regions mean nothing off a pool (the
 * servers' own hosts are one place), and are refused there.
 */
function poolRequest(
  test: LoadTest,
  input: Pick<CreateRunInput, "workers" | "minWorkers" | "labels" | "regions">,
): Pick<LoadTestRun, "agentPool" | "workers" | "minWorkers" | "labels" | "regions"> {
  if (test.agentPool === null) {
    for (const field of ["workers", "minWorkers", "labels", "regions"] as const) {
      if (input[field] !== undefined) {
        throw new AppError("INVALID_INPUT", `${field}: the test runs on no agent pool (set its agentPool)`, field);
      }
    }
    return { agentPool: null, workers: null, minWorkers: null, labels: {}, regions: [] };
  }
  const workers = input.workers ?? test.defaultWorkers;
  const regions = input.regions ?? [];
  if (workers !== null && workers < regions.length) {
    throw new AppError(
      "INVALID_INPUT",
      `workers (${workers}) is below the number of regions (${regions.length}): each region runs one worker at least`,
      input.workers !== undefined ? "workers" : "regions",
    );
  }
  if (regions.length > 0 && REGION_LABEL in (input.labels ?? {})) {
    throw new AppError("INVALID_INPUT", `labels: the regions choose the ${REGION_LABEL} label; leave it out`, "labels");
  }
  if (input.minWorkers !== undefined && workers !== null && input.minWorkers > workers) {
    throw new AppError("INVALID_INPUT", `minWorkers (${input.minWorkers}) is above workers (${workers})`, "minWorkers");
  }
  return {
    agentPool: test.agentPool,
    workers,
    minWorkers: input.minWorkers ?? null,
    labels: input.labels ?? {},
    regions,
  };
}

/**
 * Starts a run of the test's latest revision with `input`'s overrides over the test's defaults,
 * checked against today's configuration (cluster, pool, target allow-list, secrets, load): what
 * `POST /v1/load-tests/{id}/runs` and a schedule's tick both do. Throws AppError on what is refused.
 */
export async function startNewRun(
  services: NewRunDeps,
  test: LoadTest,
  input: CreateRunInput,
  actor: string,
  trigger: RunTrigger,
): Promise<LoadTestRun> {
  // The run's own target and env, over the test's; the configuration may have changed since the
  // test was saved: a run must meet today's.
  const target = { ...test, envId: input.envId ?? test.envId, targetUrl: input.targetUrl ?? test.targetUrl };
  checkCluster(target);
  await checkAgentPool(services.store, target);
  checkTarget(services.config, target);
  const load = runLoad(test, input);
  await checkSecretsExist(services, { ...target, secrets: test.secrets });
  const revision = await services.store.tests.getRevision(test.id, test.latestRevisionId);
  if (revision === undefined) throw notFound("REVISION", test.latestRevisionId);
  const onPool = poolRequest(test, input);
  const now = services.now();
  const run: LoadTestRun = {
    id: newId(now),
    loadTestId: test.id,
    number: 0,
    name: input.name ?? "",
    accountId: test.accountId,
    orgId: test.orgId,
    projectId: test.projectId,
    envId: target.envId,
    scriptRevisionId: revision.id,
    locustClusterId: test.locustClusterId ?? null,
    ...onPool,
    placement: [],
    masterEndpoint: null,
    waitingReason: null,
    warnings: [],
    targetUrl: target.targetUrl,
    tags: input.tags ?? test.tags,
    env: { ...test.env, ...input.env },
    secrets: test.secrets,
    ...load,
    shapeNote: await shapeNote(services.store, revision, load.stages),
    status: "Pending",
    startedAt: null,
    finishedAt: null,
    failureReason: null,
    launchedAt: null,
    lastMetrics: null,
    thresholds: input.thresholds ?? test.thresholds,
    autoStop: input.autoStop === undefined ? test.autoStop : input.autoStop,
    verdict: null,
    results: null,
    outcome: null,
    loadChanges: [],
    baseline: false,
    trigger,
    metadata: input.metadata,
    createdAt: now,
    createdBy: actor,
    updatedAt: now,
    updatedBy: actor,
  };
  const created = await services.runs.create(run);
  if (created === undefined) throw notFound("LOAD_TEST", test.id);
  return created;
}
