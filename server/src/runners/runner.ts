/** What a run's processes are doing, as the agent that holds its master last reported. */
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
  /** Its agent has no record of the run (its host lost it, or it never started there). */
  | { state: "unknown" }
  /** Its agent has not called in within the silence window. */
  | { state: "unreachable"; error: string };

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
