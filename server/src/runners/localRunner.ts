import { spawn } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmdirSync, writeFileSync } from "node:fs";
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

/** The supervisor of a run as this host knows it: its pid and when that process started. */
interface SupervisorRecord {
  pid: number;
  startTime: string | null;
}

/** A process's start time in clock ticks since boot (/proc/<pid>/stat field 22), or null where there is no /proc. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf-8");
    // The command name (field 2) may hold spaces and parentheses; the fields after its last ')' do not.
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19] ?? null;
  } catch {
    return null;
  }
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
 * group, which starts the run's processes in their sandbox. The run directory <runsDir>/<runId>
 * holds what the server and the supervisor write (spec, supervisor.json, exit.json, locust.log);
 * the run's own processes see only its work/ directory. Everything is on disk, so any server
 * process on this host, including one started after a restart, can watch, stop or kill a run it
 * did not start; a process is signalled only while it is still the one recorded (same start time).
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

  /** Where the run's own processes write (the locustfile, Locust's CSVs). */
  workDir(runId: string): string {
    return join(this.runDir(runId), "work");
  }

  start(spec: RunSpec): Promise<void> {
    const dir = this.runDir(spec.runId);
    if (this.pid(spec.runId) !== undefined) return Promise.resolve();
    if (!existsSync(this.command)) {
      throw new Error(
        `${this.command} does not exist: run \`npm start\` (or scripts/setup-python.sh) to install Locust`,
      );
    }
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    // The ingest token and the secrets' values go in the supervisor's environment, never in a file.
    const { ingestToken, secretEnv, ...rest } = spec;
    // Worker processes beside the master; 0 or 1 means a single Locust process.
    writeFileSync(join(dir, "spec.json"), JSON.stringify({ ...rest, workers: this.workers }), { mode: 0o600 });
    const log = openSync(join(dir, "locust.log"), "a", 0o600);
    try {
      const child = spawn(this.command, ["run-dir", dir], {
        cwd: dir,
        detached: true,
        stdio: ["ignore", log, log],
        // Nothing of the server's environment: the supervisor gets what it needs and passes on less.
        env: {
          PATH: process.env.PATH ?? "/usr/bin:/bin",
          LANG: "C.UTF-8",
          LOADMGR_INGEST_TOKEN: ingestToken,
          LOADMGR_SECRET_ENV: JSON.stringify(secretEnv),
        },
      });
      if (child.pid === undefined) throw new Error(`could not start ${this.command}`);
      const record: SupervisorRecord = { pid: child.pid, startTime: processStartTime(child.pid) };
      writeFileSync(join(dir, "supervisor.json"), JSON.stringify(record), { mode: 0o600 });
      child.on("exit", () => this.options.onExit?.(spec.runId));
      child.unref();
      this.logger.info({ runId: spec.runId, pid: child.pid, dir, sandbox: spec.sandbox }, "local Locust started");
    } finally {
      closeSync(log);
    }
    return Promise.resolve();
  }

  stop(runId: string): Promise<void> {
    const pid = this.pid(runId);
    const marker = join(this.runDir(runId), "stop-requested");
    if (pid === undefined || existsSync(marker)) return Promise.resolve();
    writeFileSync(marker, String(Date.now()), { mode: 0o600 });
    process.kill(pid, "SIGTERM");
    this.logger.info({ runId, pid }, "local Locust asked to stop");
    return Promise.resolve();
  }

  kill(runId: string): Promise<void> {
    const pid = this.pid(runId);
    if (pid !== undefined) {
      try {
        // The supervisor's group; the sandbox dies with its supervisor.
        process.kill(-pid, "SIGKILL");
        this.logger.warn({ runId, pid }, "local Locust processes killed");
      } catch {
        // the group is already gone
      }
    }
    // A sandbox killed while it was being set up can leave a process outside the group: its cgroup has it.
    this.killCgroup(runId);
    return Promise.resolve();
  }

  /**
   * Kills every process in the run's cgroup, as its supervisor recorded it (cgroup.json, beyond the
   * run's reach), and removes the cgroup once it is empty (a killed supervisor could not).
   */
  private killCgroup(runId: string): void {
    let dirs: string[];
    try {
      dirs = (JSON.parse(readFileSync(join(this.runDir(runId), "cgroup.json"), "utf-8")) as { dirs: string[] }).dirs;
    } catch {
      return;
    }
    for (const dir of dirs) {
      for (let round = 0; round < 10; round++) {
        let pids: number[];
        try {
          pids = readFileSync(join(dir, "cgroup.procs"), "utf-8").split("\n").filter(Boolean).map(Number);
        } catch {
          break;
        }
        if (pids.length === 0) break;
        for (const member of pids) {
          try {
            process.kill(member, "SIGKILL");
          } catch {
            // gone meanwhile
          }
        }
      }
    }
    // Killed processes leave the cgroup as they finish dying: remove it when they have.
    const remove = (attempt: number): void => {
      const left = dirs.filter((dir) => {
        try {
          rmdirSync(dir);
          return false;
        } catch (error) {
          return (error as NodeJS.ErrnoException).code === "EBUSY";
        }
      });
      dirs = left;
      if (left.length > 0 && attempt < 20) setTimeout(() => remove(attempt + 1), 250).unref();
    };
    remove(0);
  }

  inspect(runId: string): Promise<RunnerState> {
    const record = this.record(runId);
    if (record === undefined) return Promise.resolve({ state: "unknown" });
    if (this.pid(runId) !== undefined) return Promise.resolve({ state: "running" });
    const dir = this.runDir(runId);
    let exit: { exitCode: number | null; signal: string | null; message?: string } = { exitCode: null, signal: null };
    try {
      exit = JSON.parse(readFileSync(join(dir, "exit.json"), "utf-8")) as typeof exit;
    } catch {
      exit = { exitCode: null, signal: null }; // the supervisor itself died before it could record one
    }
    return Promise.resolve({
      state: "exited",
      exitCode: exit.exitCode,
      signal: exit.signal,
      logTail: readTail(join(dir, "locust.log")),
      ...(typeof exit.message === "string" ? { limit: exit.message } : {}),
    });
  }

  /** The supervisor's pid while that very process is alive. */
  private pid(runId: string): number | undefined {
    const record = this.record(runId);
    if (record === undefined || !alive(record.pid)) return undefined;
    return record.startTime === processStartTime(record.pid) ? record.pid : undefined;
  }

  private record(runId: string): SupervisorRecord | undefined {
    try {
      const record = JSON.parse(readFileSync(join(this.runDir(runId), "supervisor.json"), "utf-8")) as SupervisorRecord;
      return Number.isInteger(record.pid) && record.pid > 0 ? record : undefined;
    } catch {
      return undefined;
    }
  }
}
