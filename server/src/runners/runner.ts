import type { RunContent } from "../runs/runContent.js";

/** Everything a runner needs to start one run's Locust processes. */
export interface RunSpec extends RunContent {
  runId: string;
  users: number;
  spawnRate: number;
  durationSeconds: number;
  /** Where the plugin pushes (the server's public URL). */
  ingestUrl: string;
  ingestToken: string;
  intervalSec: number;
  /** Whether the run's processes go into a sandbox (false only where the operator said runner.sandbox: off, or for the admin where none can be made). */
  sandbox: boolean;
  limits: RunLimits;
}

/** Per run; a run that reaches one of them is ended, and says which. */
export interface RunLimits {
  processes: number;
  memoryMb: number;
  openFiles: number;
  diskMb: number;
}

export type RunnerState =
  | { state: "running" }
  | {
      state: "exited";
      exitCode: number | null;
      signal: string | null;
      logTail: string;
      /** Set when the supervisor ended the run for reaching one of its limits: which, in words. */
      limit?: string;
    }
  /** The runner has no record of the run (its host lost it, or it never started there). */
  | { state: "unknown" }
  /** The runner could not be asked (an agent that does not answer). */
  | { state: "unreachable"; error: string };

/**
 * Starts and stops the Locust processes of runs. LocalRunner runs them on this host; ClusterRunner
 * asks a `loadmgr-locust agent` on a load-generator host. Both start them with the same supervisor.
 */
export interface Runner {
  /** Starts the run; starting a run that is already there does nothing. */
  start(spec: RunSpec): Promise<void>;
  /** Asks Locust to stop gracefully (it delivers its final snapshot); a second call does nothing. */
  stop(runId: string): Promise<void>;
  /** Kills every process of the run at once. */
  kill(runId: string): Promise<void>;
  inspect(runId: string): Promise<RunnerState>;
}

/** A traceback's `File "/any/where/x.py"` as `File "x.py"` (a package's file keeps its package path). */
function withoutPaths(line: string): string {
  return line.replace(/File "([^"]*)"/g, (_, path: string) => {
    const inPackage = path.split("/site-packages/")[1];
    return `File "${inPackage ?? path.split("/").at(-1) ?? path}"`;
  });
}

/** The exception line of a Python traceback: "ModuleNotFoundError: No module named 'x'". */
const EXCEPTION_LINE = /^[A-Za-z_][\w.]*(Error|Exception|Exit|Interrupt|Warning)(: .*)?$/;

/**
 * The end of a Locust log, for a failure reason a person can act on: its cause in one line (the
 * exception Python ended with, when there is one) and the last lines, without the host's paths.
 */
export function failureText(logTail: string, maxChars = 1500): { cause: string | null; text: string } {
  const lines = logTail
    .split("\n")
    .map((l) => withoutPaths(l.trimEnd()))
    .filter((l) => l.length > 0)
    .slice(-20);
  const cause =
    [...lines]
      .reverse()
      .find((l) => EXCEPTION_LINE.test(l.trim()))
      ?.trim() ?? null;
  const text = lines.join("\n");
  return { cause, text: text.length > maxChars ? `…${text.slice(-maxChars)}` : text };
}
