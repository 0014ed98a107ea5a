import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "../logger.js";
import { readTail } from "./logTail.js";
import type { Runner, RunnerState, RunSpec } from "./runner.js";

export const DEFAULT_LOCAL_COMMAND = fileURLToPath(
  new URL("../../../.venv/locust/bin/loadmgr-locust", import.meta.url),
);

export interface LocalRunnerOptions {
  command?: string | undefined;
  runsDir: string;
  workers?: number | undefined;
  /** Called when a supervisor this process started exits. */
  onExit?: (runId: string) => void;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Runs Locust on this host: one `loadmgr-locust run-dir` supervisor per run, in its own process
 * group, with its files under <runsDir>/<runId>. Everything it needs is on disk (pid, exit status,
 * log), so any server process on this host, including one started after a restart, can watch,
 * stop or kill a run it did not start.
 */
export class LocalRunner implements Runner {
  private readonly command: string;
  private readonly workers: number;

  constructor(
    private readonly options: LocalRunnerOptions,
    private readonly logger: Logger,
  ) {
    this.command = options.command ?? DEFAULT_LOCAL_COMMAND;
    this.workers = options.workers ?? cpus().length;
  }

  /** Absolute: the supervisor runs with the run directory as its working directory. */
  runDir(runId: string): string {
    return resolve(this.options.runsDir, runId);
  }

  start(spec: RunSpec): Promise<void> {
    const dir = this.runDir(spec.runId);
    if (this.pid(spec.runId) !== undefined) return Promise.resolve();
    if (!existsSync(this.command)) {
      throw new Error(
        `${this.command} does not exist: run \`npm start\` (or scripts/setup-python.sh) to install Locust`,
      );
    }
    mkdirSync(dir, { recursive: true });
    const { ingestToken, ...rest } = spec;
    // Worker processes beside the master; 0 or 1 means a single Locust process.
    writeFileSync(join(dir, "spec.json"), JSON.stringify({ ...rest, workers: this.workers }), { mode: 0o600 });
    const log = openSync(join(dir, "locust.log"), "a");
    try {
      const child = spawn(this.command, ["run-dir", dir], {
        cwd: dir,
        detached: true,
        stdio: ["ignore", log, log],
        env: { ...process.env, LOADMGR_INGEST_TOKEN: ingestToken },
      });
      if (child.pid === undefined) throw new Error(`could not start ${this.command}`);
      writeFileSync(join(dir, "supervisor.pid"), String(child.pid));
      child.on("exit", () => this.options.onExit?.(spec.runId));
      child.unref();
      this.logger.info({ runId: spec.runId, pid: child.pid, dir }, "local Locust started");
    } finally {
      closeSync(log);
    }
    return Promise.resolve();
  }

  stop(runId: string): Promise<void> {
    const pid = this.pid(runId);
    const marker = join(this.runDir(runId), "stop-requested");
    if (pid === undefined || existsSync(marker)) return Promise.resolve();
    writeFileSync(marker, String(Date.now()));
    process.kill(pid, "SIGTERM");
    this.logger.info({ runId, pid }, "local Locust asked to stop");
    return Promise.resolve();
  }

  kill(runId: string): Promise<void> {
    const pid = this.recordedPid(runId);
    if (pid === undefined) return Promise.resolve();
    try {
      process.kill(-pid, "SIGKILL");
      this.logger.warn({ runId, pid }, "local Locust processes killed");
    } catch {
      // the group is already gone
    }
    return Promise.resolve();
  }

  inspect(runId: string): Promise<RunnerState> {
    const pid = this.recordedPid(runId);
    if (pid === undefined) return Promise.resolve({ state: "unknown" });
    if (alive(pid)) return Promise.resolve({ state: "running" });
    const dir = this.runDir(runId);
    let exit: { exitCode: number | null; signal: string | null } = { exitCode: null, signal: null };
    try {
      exit = JSON.parse(readFileSync(join(dir, "exit.json"), "utf-8")) as typeof exit;
    } catch {
      exit = { exitCode: null, signal: null }; // the supervisor itself died before it could record one
    }
    return Promise.resolve({ state: "exited", ...exit, logTail: readTail(join(dir, "locust.log")) });
  }

  /** The supervisor's pid while it is alive. */
  private pid(runId: string): number | undefined {
    const pid = this.recordedPid(runId);
    return pid !== undefined && alive(pid) ? pid : undefined;
  }

  private recordedPid(runId: string): number | undefined {
    try {
      const pid = Number(readFileSync(join(this.runDir(runId), "supervisor.pid"), "utf-8"));
      return Number.isInteger(pid) && pid > 0 ? pid : undefined;
    } catch {
      return undefined;
    }
  }
}
