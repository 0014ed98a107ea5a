import { randomUUID } from "node:crypto";
import {
  DEFAULT_REGRESSION_RULE,
  encodeScript,
  type LoadTest,
  type LoadTestRun,
  type MetricSnapshot,
  type ScriptRevision,
} from "@loadmgr/shared";

export const SAMPLE_LOCUSTFILE = `from locust import HttpUser, task


class WebsiteUser(HttpUser):
    @task
    def index(self):
        self.client.get("/")
`;

export const SAMPLE_SCRIPT_B64 = encodeScript(SAMPLE_LOCUSTFILE);

/** A test and its revision 1, as the API would build them. */
export function makeLoadTest(overrides: Partial<LoadTest> = {}): { test: LoadTest; revision: ScriptRevision } {
  const id = overrides.id ?? randomUUID();
  const createdAt = overrides.createdAt ?? Date.now();
  const revision: ScriptRevision = {
    id: randomUUID(),
    loadTestId: id,
    revisionNumber: 1,
    scriptContent: SAMPLE_SCRIPT_B64,
    files: [],
    description: "Initial revision",
    createdAt,
    createdBy: "tester",
  };
  const test: LoadTest = {
    id,
    name: "checkout flow",
    description: "",
    tags: [],
    accountId: "acc",
    orgId: "org",
    projectId: "proj",
    envId: null,
    locustClusterId: null,
    agentPool: null,
    defaultWorkers: null,
    targetUrl: "http://127.0.0.1:9000",
    latestRevisionId: revision.id,
    latestRevisionNumber: 1,
    scenarioId: null,
    defaultUsers: 10,
    defaultSpawnRate: 2,
    defaultDurationSec: 60,
    maxDurationSec: 3600,
    thresholds: [],
    autoStop: null,
    failOnRegression: false,
    regressionRule: DEFAULT_REGRESSION_RULE,
    defaultStages: null,
    env: {},
    secrets: [],
    allowedHosts: [],
    recentRuns: [],
    runCount: 0,
    metadata: {},
    createdAt,
    createdBy: "tester",
    updatedAt: createdAt,
    updatedBy: "tester",
    ...overrides,
  };
  return { test, revision };
}

export function makeRun(test: LoadTest, overrides: Partial<LoadTestRun> = {}): LoadTestRun {
  const createdAt = overrides.createdAt ?? Date.now();
  return {
    id: randomUUID(),
    loadTestId: test.id,
    number: 0,
    name: "run",
    accountId: test.accountId,
    orgId: test.orgId,
    projectId: test.projectId,
    envId: test.envId,
    scriptRevisionId: test.latestRevisionId,
    locustClusterId: test.locustClusterId,
    agentPool: test.agentPool,
    workers: null,
    minWorkers: null,
    labels: {},
    regions: [],
    placement: [],
    masterEndpoint: null,
    waitingReason: null,
    warnings: [],
    targetUrl: test.targetUrl,
    tags: test.tags,
    env: test.env,
    secrets: test.secrets,
    targetUsers: test.defaultUsers,
    spawnRate: test.defaultSpawnRate,
    durationSec: test.defaultDurationSec,
    durationSeconds: test.defaultDurationSec,
    stages: null,
    shapeNote: null,
    status: "Pending",
    launchedAt: null,
    startedAt: null,
    finishedAt: null,
    failureReason: null,
    lastMetrics: null,
    thresholds: [],
    verdict: null,
    results: null,
    outcome: null,
    loadChanges: [],
    autoStop: null,
    baseline: false,
    trigger: { type: "api", scheduleId: null },
    metadata: {},
    createdAt,
    createdBy: "tester",
    updatedAt: createdAt,
    updatedBy: "tester",
    ...overrides,
  };
}

/** A stored snapshot of `run`: two endpoints, Locust-style histograms, one error. */
export function makeSnapshot(run: LoadTestRun, seq: number, overrides: Partial<MetricSnapshot> = {}): MetricSnapshot {
  return {
    runId: run.id,
    seq,
    timestamp: 1_700_000_000_000 + seq * 2000,
    intervalMs: 2000,
    final: false,
    users: 10,
    totalRequests: 30 * seq,
    totalFailures: seq,
    endpoints: [
      {
        method: "GET",
        name: "/",
        requests: 20,
        failures: 1,
        sumResponseMs: 20 * 40 + seq,
        minResponseMs: 3.2,
        maxResponseMs: 180 + seq,
        histogram: [
          [3, 5],
          [40, 10],
          [120, 4],
          [180 + seq - ((180 + seq) % 10), 1],
        ],
      },
      {
        method: "POST",
        name: "/cart",
        requests: 10,
        failures: 0,
        sumResponseMs: 10 * 300,
        minResponseMs: 200.5,
        maxResponseMs: 410,
        histogram: [
          [200, 6],
          [410, 4],
        ],
      },
    ],
    errors: [{ method: "GET", name: "/", error: "HTTPError('500 Server Error')", occurrences: 1 }],
    loadTestId: run.loadTestId,
    accountId: run.accountId,
    orgId: run.orgId,
    projectId: run.projectId,
    envId: run.envId,
    ...overrides,
  };
}

/** A run's whole-run figures with these counts (the rest plausible). */
export function makeResults(totalRequests: number, totalFailures: number): NonNullable<LoadTestRun["results"]> {
  return {
    totalRequests,
    totalFailures,
    requestsPerSec: 1,
    errorRatePercent: totalRequests > 0 ? (totalFailures * 100) / totalRequests : 0,
    avgResponseMs: 5,
    p50ResponseMs: 5,
    p95ResponseMs: 9,
    p99ResponseMs: 9,
    maxResponseMs: 9,
  };
}
