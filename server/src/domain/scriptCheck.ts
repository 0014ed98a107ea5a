import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { decodeScript } from "@loadmgr/shared";
import { AppError } from "../errors.js";
import type { Logger } from "../logger.js";
import type { SandboxStatus } from "../runners/sandbox.js";

/** Where a script does not compile: the file, its line and column (1-based), and Python's message. */
export interface SyntaxProblem {
  file: string;
  line: number | null;
  column: number | null;
  message: string;
}

/** The name a test's script has in its run directory, and in syntax errors. */
const LOCUSTFILE = "locustfile.py";
const SYSTEM_PYTHON = "/usr/bin/python3";
const CHECK_TIMEOUT_MS = 10_000;
/** Checks that may run at once; more wait their turn (each is a short-lived process). */
const MAX_CONCURRENT = 4;

// Compiles, never runs: the source is read from stdin and only parsed, in a process capped at
// 512 MiB and 5 s of CPU, which prints one JSON line.
const CHECKER = `
import json, resource, sys
resource.setrlimit(resource.RLIMIT_AS, (1 << 29, 1 << 29))
resource.setrlimit(resource.RLIMIT_CPU, (5, 5))
name = sys.argv[1]
source = sys.stdin.buffer.read()
try:
    compile(source, name, "exec", dont_inherit=True)
    print(json.dumps({"ok": True}))
except SyntaxError as e:
    print(json.dumps({"ok": False, "line": e.lineno, "column": e.offset, "message": e.msg}))
except (ValueError, RecursionError, MemoryError) as e:
    print(json.dumps({"ok": False, "line": None, "column": None, "message": type(e).__name__ + ": " + str(e)}))
`;

let running = 0;
const waiting: (() => void)[] = [];

async function turn<T>(work: () => Promise<T>): Promise<T> {
  if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The command that compiles: in a bubblewrap sandbox without network or files when runs are sandboxed. */
function checkerCommand(sandbox: SandboxStatus, file: string): [string, string[]] {
  const python = ["-I", "-S", "-c", CHECKER, file];
  if (sandbox.available && existsSync(SYSTEM_PYTHON)) {
    return [
      "bwrap",
      [
        ...["--unshare-all", "--die-with-parent", "--new-session", "--clearenv"],
        ...["--ro-bind", "/usr", "/usr", "--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib"],
        ...["--symlink", "usr/lib64", "/lib64", "--proc", "/proc", "--dev", "/dev", "--", SYSTEM_PYTHON],
        ...python,
      ],
    ];
  }
  return ["python3", python];
}

/**
 * Compiles a locustfile as Python would import it (syntax only: nothing in it runs). Null when it
 * compiles, or when no Python is there to ask (the run then says what is wrong, as before).
 */
export async function pythonSyntaxProblem(
  source: string,
  file: string,
  sandbox: SandboxStatus,
  logger: Logger,
): Promise<SyntaxProblem | null> {
  return turn(
    () =>
      new Promise<SyntaxProblem | null>((resolve) => {
        const [command, args] = checkerCommand(sandbox, file);
        const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"], env: { PATH: process.env.PATH ?? "" } });
        let out = "";
        let err = "";
        const timer = setTimeout(() => child.kill("SIGKILL"), CHECK_TIMEOUT_MS);
        // Kept to a bound whatever the checker prints (one JSON line, when it answers).
        child.stdout.setEncoding("utf-8").on("data", (chunk: string) => {
          if (out.length < 10_000) out += chunk;
        });
        child.stderr.setEncoding("utf-8").on("data", (chunk: string) => {
          if (err.length < 2_000) err += chunk;
        });
        child.stdin.on("error", () => undefined); // a checker that died early: its answer says why
        child.stdin.end(source);
        child.on("error", (error) => {
          clearTimeout(timer);
          logger.warn({ err: error, command }, "no Python to check a script's syntax with; saved unchecked");
          resolve(null);
        });
        child.on("close", (code, signal) => {
          clearTimeout(timer);
          try {
            const answer = JSON.parse(out) as {
              ok: boolean;
              line?: number | null;
              column?: number | null;
              message?: string;
            };
            resolve(
              answer.ok
                ? null
                : {
                    file,
                    line: answer.line ?? null,
                    column: answer.column ?? null,
                    message: answer.message ?? "does not compile",
                  },
            );
          } catch {
            // Killed at its limits, or crashed: a script Python cannot even parse within them.
            logger.warn(
              { code, signal, stderr: err.trim().split("\n").at(-1) },
              "a script's syntax check gave no answer",
            );
            resolve({
              file,
              line: null,
              column: null,
              message:
                signal !== null
                  ? "Python could not parse it within its limits (10 s, 5 s of CPU, 512 MiB)"
                  : "Python could not parse it",
            });
          }
        });
      }),
  );
}

/** The problem as one line, as the API's message says it: "locustfile.py, line 3, column 9: invalid syntax". */
export function syntaxMessage(problem: SyntaxProblem): string {
  const at = [
    problem.line !== null ? `line ${problem.line}` : "",
    problem.column !== null ? `column ${problem.column}` : "",
  ]
    .filter(Boolean)
    .join(", ");
  return `${problem.file}${at !== "" ? `, ${at}` : ""}: ${problem.message}`;
}

/** Refuses a script that does not compile: 400 SCRIPT_SYNTAX_ERROR naming the file, line and column. */
export async function checkScriptSyntax(
  ctx: { sandbox: SandboxStatus; logger: Logger },
  scriptContent: string,
): Promise<void> {
  const decoded = decodeScript(scriptContent);
  if (!decoded.ok) return; // the input's schema refused it already
  const problem = await pythonSyntaxProblem(decoded.text, LOCUSTFILE, ctx.sandbox, ctx.logger);
  if (problem !== null) {
    throw new AppError("SCRIPT_SYNTAX_ERROR", syntaxMessage(problem), "scriptContent");
  }
}
