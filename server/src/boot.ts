import { join } from "node:path";
import type { AddressInfo } from "node:net";
import { inProcessReader, workerReader } from "./analytics/windowReader.js";
import { ClientLimits } from "./clientLimits.js";
import type { Config } from "./config.js";
import type { Services } from "./context.js";
import { createApp, type App } from "./http/app.js";
import { BullMqQueue } from "./jobs/bullmqQueue.js";
import { InProcessQueue } from "./jobs/inProcessQueue.js";
import { jobRouter, type JobQueue } from "./jobs/queue.js";
import { InProcessBus } from "./live/inProcessBus.js";
import type { LiveBus } from "./live/liveBus.js";
import { RedisBus } from "./live/redisBus.js";
import { LiveTickets } from "./live/tickets.js";
import type { Logger } from "./logger.js";
import { AgentHub } from "./agents/agentHub.js";
import { WorkerRelay } from "./agents/workerRelay.js";
import {
  DEFAULT_AGENT_COMMAND,
  ensureLocalPool,
  LocalAgent,
  localPoolToken,
  reservedEndpoints,
} from "./agents/localAgent.js";
import { PoolRunner } from "./agents/poolRunner.js";
import { probeSandbox, type SandboxStatus } from "./runners/sandbox.js";
import { RunLifecycle } from "./lifecycle/lifecycle.js";
import { LoopStalls } from "./runs/loopStalls.js";
import { ServerMetrics } from "./ops/serverMetrics.js";
import { RunService } from "./runs/runService.js";
import { RunTokens } from "./runs/runTokens.js";
import { SecretBox } from "./secrets/secretBox.js";
import { SecretValues } from "./secrets/secretValues.js";
import { WebhookNotifier } from "./webhooks/webhookNotifier.js";
import { Scheduler } from "./schedules/scheduler.js";
import { createMetricsStore } from "./metrics/index.js";
import { createStore } from "./store/index.js";

/** api: HTTP only; worker: jobs only; all (the default): both in one process. */
export type Role = "all" | "api" | "worker";

export interface Running {
  services: Services;
  lifecycle: RunLifecycle;
  /** This host's agent, in a process that runs jobs. */
  localAgent: LocalAgent | undefined;
  /** Where this host's agent keeps each run's directory (<runsDir>/<runId>: spec, log, work/). */
  runsDir: string;
  address: AddressInfo | undefined;
  close(): Promise<void>;
}

const SWEEP_EVERY_MS = 2000;

function createQueue(config: Config, logger: Logger): JobQueue {
  return config.redis.url !== undefined
    ? new BullMqQueue({ redisUrl: config.redis.url }, logger)
    : new InProcessQueue(logger);
}

function createLiveBus(config: Config, logger: Logger): LiveBus {
  return config.redis.url !== undefined ? new RedisBus(config.redis.url, logger) : new InProcessBus();
}

/** Builds and starts one server process: the store, the queue, the runners, HTTP and/or job workers. */
export async function boot(
  config: Config,
  options: {
    role: Role;
    logger: Logger;
    adminToken: string;
    now?: () => number;
    /** What the start-up probe would say; tests pass one to see the server fail closed. */
    sandbox?: SandboxStatus;
  },
): Promise<Running> {
  const { role, logger } = options;
  const records = createStore(config);
  await records.init();
  const series = createMetricsStore(config, { logger });
  await series.init();
  const live = createLiveBus(config, logger);
  const queue = createQueue(config, logger);
  const clientLimits = new ClientLimits(config.server.limits);
  let relay: WorkerRelay | undefined;
  const metrics = new ServerMetrics({
    runsByStatus: () => records.runs.countByStatus(),
    queueCounts: () => queue.counts(),
    liveSubscribers: () => clientLimits.openSubscriptions(),
    relayStreams: () => relay?.openStreams() ?? 0,
  });
  const store = metrics.timedStore(records);
  const metricsStore = metrics.timedStore(series);
  const now = options.now ?? Date.now;
  const box = SecretBox.fromConfig(config);
  const secrets = new SecretValues(store, box, now);
  const webhooks = new WebhookNotifier({ store, queue, logger, box, config, now });
  const runs = new RunService({
    store,
    metricsStore,
    live,
    queue,
    logger,
    now,
    redactorFor: (run) => secrets.redactorFor(run),
    onMoved: (run) => webhooks.runMoved(run),
  });
  const runTokens = RunTokens.fromConfig(config);
  const sandbox = options.sandbox ?? probeSandbox(config);
  if (sandbox.mode === "off")
    logger.warn({}, "runner.sandbox is off: every editor is trusted as this server's OS user");
  else if (!sandbox.available)
    logger.error({ reason: sandbox.reason }, "runs cannot be sandboxed here: only the admin token may start runs");
  const schedules = new Scheduler({ config, store, runs, secrets, now, logger, sandbox, queue });
  // Filled in once the server listens (its port is known then); read by the hub per run it hands out.
  const reserved: [string, number][] = [];
  const localToken = localPoolToken(runTokens);
  await ensureLocalPool(store, localToken.hash, now());
  // Time this process stood still (a stall, no file handles): not held against runs, agents or their clocks.
  const stalls = new LoopStalls(now);
  const services: Services = {
    config,
    store,
    metricsStore,
    runs,
    logger,
    now,
    queue,
    runTokens,
    live,
    sandbox,
    clientLimits,
    // A store in memory cannot be opened a second time in another thread.
    windowReader:
      config.storage.sqlitePath === ":memory:" || config.server.readWorker === "off"
        ? inProcessReader(series)
        : workerReader(config, logger),
    liveTickets: new LiveTickets(runTokens.derivedKey("live-tickets"), options.now ?? Date.now),
    agents: new AgentHub({
      config,
      store,
      runs,
      live,
      logger,
      tokens: runTokens,
      sandbox,
      secrets,
      reserved,
      now,
      stalledSince: (since) => stalls.stalledSince(since),
    }),
    relay: (relay = new WorkerRelay({ store, tokens: runTokens, logger, onBytes: (n) => metrics.relayed(n) })),
    metrics,
    secrets,
    schedules,
  };

  let app: App | undefined;
  let address: AddressInfo | undefined;
  if (role !== "worker") {
    await services.agents.start();
    app = createApp(services, options.adminToken);
    address = await app.listen();
  }
  const { host, port, publicUrl } = config.server;
  const serverUrl =
    publicUrl ?? `http://${host === "0.0.0.0" || host === "::" ? "127.0.0.1" : host}:${address?.port ?? port}`;
  reserved.push(...reservedEndpoints(config, address?.port ?? port));

  stalls.start();
  const runsDir = config.runner.local.runsDir ?? join(config.storage.dataDir, "runs");
  const lifecycle = new RunLifecycle({
    config,
    store,
    runs,
    logger,
    queue,
    poolRunner: new PoolRunner({ store, config, now, stalledSince: (since) => stalls.stalledSince(since) }),
    stalls,
    now: services.now,
  });
  let localAgent: LocalAgent | undefined;
  if (role !== "api") {
    // This host's agent: every run here goes through it, as runs go through agents on other hosts.
    localAgent = new LocalAgent({
      command: config.runner.local.command ?? DEFAULT_AGENT_COMMAND,
      runsDir,
      serverUrl,
      token: localToken.token,
      capacity: config.runner.local.capacity,
      keepRunsHours: config.runner.local.keepRunsHours,
      logger,
    });
    localAgent.start();
    await queue.work(
      metrics.timedProcessor(
        jobRouter({
          ...lifecycle.handlers,
          "webhook.deliver": (job) => webhooks.deliver(job),
          "schedule.tick": (job) => schedules.tick(job),
        }),
      ),
    );
    await queue.every("runs.sweep", SWEEP_EVERY_MS);
    await schedules.registerAll();
    await lifecycle.reconcile();
    lifecycle.startWatchdog();
  }
  return {
    services,
    lifecycle,
    localAgent,
    runsDir,
    address,
    close: async () => {
      // Its agent stays: the runs it holds outlive this process, and the next start finds them.
      localAgent?.close();
      stalls.stop();
      lifecycle.close();
      await services.agents.close();
      await app?.close();
      await queue.close();
      await live.close();
      await services.windowReader.close();
      await metricsStore.close();
      await store.close();
    },
  };
}
