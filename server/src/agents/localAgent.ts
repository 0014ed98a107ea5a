import { spawn, type ChildProcess } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, existsSync, mkdirSync, openSync } from "node:fs";
import { hostname, networkInterfaces } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { LOCAL_POOL_ID } from "@loadmgr/shared";
import type { Config } from "../config.js";
import type { Logger } from "../logger.js";
import type { RunTokens } from "../runs/runTokens.js";
import type { Store } from "../store/store.js";
import { poolToken } from "./poolTokens.js";

export const DEFAULT_AGENT_COMMAND = fileURLToPath(
  new URL("../../../.venv/locust/bin/loadmgr-locust", import.meta.url),
);
/** The agent's exit status when another agent already serves its directory (one still running from before a restart). */
const EXIT_DIRECTORY_TAKEN = 75;
/** The agent leaves this long after it last reached the server, once it runs nothing (the server is gone for good). */
const IDLE_EXIT_SEC = 60;

/**
 * The local pool's enrollment token: derived from the deployment's run-token secret, so every server
 * process that shares the store (and that secret) derives the same one, and nothing is stored.
 */
export function localPoolToken(tokens: RunTokens): { token: string; hash: string } {
  return poolToken(LOCAL_POOL_ID, tokens.derivedKey("local-agent").toString("base64url"));
}

/** The local pool in the store, with this token's hash (made by the first server process that starts). */
export async function ensureLocalPool(store: Store, tokenHash: string, now: number): Promise<void> {
  const existing = await store.pools.get(LOCAL_POOL_ID);
  if (existing === undefined) {
    try {
      await store.pools.create({
        id: LOCAL_POOL_ID,
        name: "the server's host",
        accountId: "*",
        orgId: "*",
        projectId: "*",
        envId: null,
        tokenHash,
        retiredTokenHash: null,
        tokenRotatedAt: now,
        createdAt: now,
        createdBy: "server",
      });
      return;
    } catch (error) {
      // Another server process made it meanwhile.
      if ((await store.pools.get(LOCAL_POOL_ID)) === undefined) throw error;
    }
  }
  if (existing !== undefined && existing.tokenHash !== tokenHash)
    await store.pools.setToken(LOCAL_POOL_ID, tokenHash, now);
}

export interface LocalAgentOptions {
  command: string;
  runsDir: string;
  serverUrl: string;
  token: string;
  capacity: number;
  /** How long a run's directory is kept once the server has collected its files (--keep-runs-hours). */
  keepRunsHours: number;
  logger: Logger;
}

/**
 * This host's agent: the same `loadmgr-locust agent` as on every other host, started and kept
 * running by the server process that runs jobs. It is a process of its own (its own session), so
 * runs outlive a restart of the server; the one agent a runs directory has is kept by a lock there
 * (a second one leaves at once). Its name is the host's and its directory's, so servers that share a
 * store each have their own.
 */
export class LocalAgent {
  private child: ChildProcess | undefined;
  private timer: NodeJS.Timeout | undefined;
  private closed = false;
  readonly name: string;

  constructor(private readonly options: LocalAgentOptions) {
    const where = createHash("sha256").update(resolve(options.runsDir)).digest("hex").slice(0, 6);
    this.name = `${hostname()
      .replace(/[^A-Za-z0-9._-]/g, "-")
      .slice(0, 80)}-${where}`;
  }

  start(): void {
    if (this.closed || this.child !== undefined) return;
    const { command, runsDir, serverUrl, token, capacity, keepRunsHours, logger } = this.options;
    if (!existsSync(command)) {
      logger.error(
        { command },
        "the local agent cannot start: run `npm start` (or scripts/setup-python.sh) to install Locust",
      );
      this.later(10_000);
      return;
    }
    mkdirSync(runsDir, { recursive: true, mode: 0o700 });
    const log = openSync(join(runsDir, "agent.log"), "a", 0o600);
    try {
      const args = ["agent", "--server", serverUrl, "--name", this.name, "--capacity", String(capacity)];
      args.push("--dir", runsDir, "--address", "127.0.0.1", "--idle-exit", String(IDLE_EXIT_SEC));
      args.push("--keep-runs-hours", String(keepRunsHours));
      const child = spawn(command, args, {
        detached: true,
        stdio: ["ignore", log, log],
        // The token in its environment, not on its command line; nothing else of the server's.
        env: { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C.UTF-8", LOADMGR_AGENT_TOKEN: token },
      });
      child.unref();
      child.on("error", (error) => logger.error({ err: error }, "the local agent could not start"));
      child.on("exit", (code, signal) => {
        this.child = undefined;
        if (this.closed) return;
        if (code === EXIT_DIRECTORY_TAKEN) {
          // The agent from before a restart still holds runs here: it serves them; look again later.
          this.later(5000);
          return;
        }
        logger.warn({ code, signal }, "the local agent exited; starting it again");
        this.later(1000);
      });
      this.child = child;
      logger.info({ pid: child.pid, name: this.name, runsDir }, "local agent started");
    } finally {
      closeSync(log);
    }
  }

  /** Stops keeping it running; with `kill`, also ends it and every run it holds (a test's server going away for good). */
  close(kill = false): void {
    this.closed = true;
    clearTimeout(this.timer);
    if (kill && this.child?.pid !== undefined) {
      try {
        process.kill(this.child.pid, "SIGTERM");
      } catch {
        // gone already
      }
    }
  }

  private later(ms: number): void {
    this.timer = setTimeout(() => this.start(), ms);
    this.timer.unref();
  }
}

/** Every address this host answers on: its loopbacks and its interfaces'. */
function hostAddresses(): string[] {
  const addresses = new Set(["127.0.0.1", "::1"]);
  for (const list of Object.values(networkInterfaces())) {
    for (const entry of list ?? []) addresses.add(entry.address.split("%")[0] ?? entry.address);
  }
  return [...addresses];
}

function isThisHost(host: string, addresses: string[]): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return (
    bare === "localhost" || bare === "0.0.0.0" || bare === "::" || bare.startsWith("127.") || addresses.includes(bare)
  );
}

/**
 * The server's own services on its host (its port, and its Redis and MongoDB when they are local):
 * no run on this host may reach them, whatever its test names (the local agent's runs' deny list).
 */
export function reservedEndpoints(config: Config, serverPort: number): [string, number][] {
  const addresses = hostAddresses();
  const ports = new Set<number>([serverPort]);
  const urls = [
    config.redis.url,
    ...(config.mongodb.uri
      ?.replace(/^mongodb(\+srv)?:\/\/([^/]*@)?/, "")
      .split("/")[0]
      ?.split(",") ?? []),
  ];
  for (const url of urls) {
    if (url === undefined || url === "") continue;
    try {
      const parsed = new URL(url.includes("://") ? url : `mongodb://${url}`);
      const port = Number(parsed.port || (parsed.protocol === "redis:" ? 6379 : 27017));
      if (isThisHost(parsed.hostname, addresses)) ports.add(port);
    } catch {
      // not a URL: nothing to keep out
    }
  }
  return addresses.flatMap((address) => [...ports].map((port): [string, number] => [address, port]));
}
