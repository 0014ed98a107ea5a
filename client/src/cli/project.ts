import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import { createRequire } from "node:module";
import type { Ignore, Options } from "ignore";
import { LOCUSTFILE_PATH, MAX_SCRIPT_FILES, type ScriptFileInput, type Stage } from "@loadmgr/shared";
import { UsageError } from "./connection.js";

/** A locustfile and the files beside it, as a revision takes them. */
export interface Project {
  scriptContent: string;
  files: ScriptFileInput[];
}

// .gitignore rules as Git reads them (the `ignore` package, CommonJS: required, so its types hold under NodeNext).
const ignore = createRequire(import.meta.url)("ignore") as (options?: Options) => Ignore;
type Matcher = Ignore;

/** Never sent from a directory, whatever its .gitignore says. */
const ALWAYS_SKIPPED = [".git/", "__pycache__/", "*.pyc", ".venv/", "node_modules/"];

/** A path as a revision names it: relative to the project's root, with "/". */
function revisionPath(root: string, file: string): string {
  const path = relative(root, resolve(file));
  if (path === "" || path.startsWith("..") || isAbsolute(path)) {
    throw new UsageError(`${file} is not inside ${root || "."} (files go beside the locustfile, or below it)`);
  }
  return path.split(sep).join("/");
}

/**
 * Every file under `dir` a `.gitignore` there (and in its subdirectories) does not exclude, as
 * Git would: a subdirectory's rules apply below it, `!` re-includes, a trailing `/` means a directory.
 */
export function projectFiles(dir: string): string[] {
  const found: string[] = [];
  const walk = (relDir: string, rules: { base: string; matcher: Matcher }[]): void => {
    const here = join(dir, relDir);
    const gitignore = join(here, ".gitignore");
    const scoped = existsSync(gitignore)
      ? [...rules, { base: relDir, matcher: ignore().add(readFileSync(gitignore, "utf-8")) }]
      : rules;
    const ignored = (path: string, isDir: boolean): boolean =>
      scoped.some(({ base, matcher }) => {
        const within = base === "" ? path : path.slice(base.length + 1);
        return matcher.ignores(isDir ? `${within}/` : within);
      });
    for (const entry of readdirSync(here, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const path = relDir === "" ? entry.name : `${relDir}/${entry.name}`;
      if (entry.isSymbolicLink()) continue;
      if (entry.isDirectory()) {
        if (!ignored(path, true)) walk(path, scoped);
      } else if (entry.isFile() && !ignored(path, false)) {
        found.push(path);
      }
      if (found.length > MAX_SCRIPT_FILES + 1) {
        throw new UsageError(`${dir} holds more than ${MAX_SCRIPT_FILES} files to send: add a .gitignore`);
      }
    }
  };
  walk("", [{ base: "", matcher: ignore().add(ALWAYS_SKIPPED) }]);
  return found;
}

/**
 * The project to send: `--dir D` (D/locustfile.py and every file beside it that .gitignore rules
 * keep), or `-f locustfile.py` with `--file` paths relative to the locustfile's directory. `--split`
 * marks CSV files whose rows are shared out among the run's workers.
 */
export function readProject(options: {
  file?: string | undefined;
  dir?: string | undefined;
  files?: string[] | undefined;
  split?: string[] | undefined;
}): Project {
  if (options.dir !== undefined && options.file !== undefined) throw new UsageError("use -f or --dir, not both");
  let root: string;
  let locustfile: string;
  const paths: string[] = [];
  if (options.dir !== undefined) {
    root = options.dir;
    if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`no such directory: ${root}`);
    locustfile = join(root, LOCUSTFILE_PATH);
    if (!existsSync(locustfile)) throw new UsageError(`${root} has no ${LOCUSTFILE_PATH}`);
    paths.push(...projectFiles(root).filter((p) => p !== LOCUSTFILE_PATH));
  } else {
    if (options.file === undefined) throw new UsageError("this needs -f <locustfile.py> or --dir <directory>");
    locustfile = options.file;
    if (!existsSync(locustfile)) throw new UsageError(`no such file: ${locustfile}`);
    if (!locustfile.endsWith(".py"))
      throw new UsageError(`${locustfile} is not a Python file (a locustfile ends in .py)`);
    root = dirname(locustfile);
  }
  for (const file of options.files ?? []) {
    if (!existsSync(file) || !statSync(file).isFile()) throw new UsageError(`no such file: ${file}`);
    paths.push(revisionPath(root, file));
  }
  const split = new Set(
    (options.split ?? []).map((file) => (existsSync(file) ? revisionPath(root, file) : file.split(sep).join("/"))),
  );
  const unique = [...new Set(paths)];
  for (const path of split) {
    if (!unique.includes(path)) throw new UsageError(`--split ${path}: not one of the files sent`);
  }
  return {
    scriptContent: readFileSync(locustfile).toString("base64"),
    files: unique.map((path) => ({
      path,
      contentBase64: readFileSync(join(root, path)).toString("base64"),
      split: split.has(path),
    })),
  };
}

/** `--stage 30:10:2`: 30 seconds at 10 users, reached at 2 users/s (the rate defaults to the users, one second's ramp). */
export function parseStage(text: string): Stage {
  const match = /^(\d+)(s|m)?:(\d+)(?::(\d+(?:\.\d+)?))?$/.exec(text.trim());
  if (match === null)
    throw new UsageError(`--stage ${text}: expected SECONDS:USERS[:SPAWN_RATE], e.g. 30:10:2 or 2m:50`);
  const [, amount, unit, users, rate] = match;
  const durationSec = Number(amount) * (unit === "m" ? 60 : 1);
  const count = Number(users);
  return { durationSec, users: count, spawnRate: rate !== undefined ? Number(rate) : Math.max(1, count) };
}

/** `--param NAME=value`, repeated: a test's env parameters (or a run's overrides). */
export function parseParams(items: string[] | undefined): Record<string, string> | undefined {
  if (items === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of items) {
    const eq = item.indexOf("=");
    if (eq <= 0) throw new UsageError(`--param ${item}: expected NAME=value`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}
