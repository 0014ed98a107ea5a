/**
 * The paths of a revision's files and how two revisions' files differ: no schema here, so that the
 * dashboard can use them without bundling zod.
 */

export const MAX_FILE_PATH_CHARS = 255;
/** The test's main script: the one path no other file may take. */
export const LOCUSTFILE_PATH = "locustfile.py";
/** Where a run's supervisor puts each worker's own copy of the project (locust/loadmgr_locust/project.py). */
const RESERVED_DIR = ".workers";

/** Control characters and a backslash (a Windows separator that means something else elsewhere). */
const forbiddenChar = (path: string): boolean =>
  [...path].some((c) => c === "\\" || c.charCodeAt(0) < 0x20 || c.charCodeAt(0) === 0x7f);

/**
 * Why a path cannot name a file of a revision, or null when it can. A path is relative, uses `/`,
 * and is already normal: no empty, `.` or `..` segment, so the same file has one spelling.
 */
export function pathProblem(path: string): string | null {
  if (path.length === 0) return "must not be empty";
  if (path.length > MAX_FILE_PATH_CHARS) return `is over ${MAX_FILE_PATH_CHARS} characters`;
  if (forbiddenChar(path)) return "must not hold control characters or a backslash";
  if (path.startsWith("/")) return "must be relative (no leading /)";
  const segments = path.split("/");
  if (segments.some((s) => s === "..")) return "must not hold a .. segment";
  if (segments.some((s) => s === "" || s === ".")) return "must be normalised (no empty or . segment, no trailing /)";
  if (path === LOCUSTFILE_PATH) return `${LOCUSTFILE_PATH} is the script itself (scriptContent)`;
  if (segments[0] === RESERVED_DIR) return `${RESERVED_DIR}/ is where a run keeps each worker's copy of the files`;
  return null;
}

/** What comparing two revisions' files looks at (a ScriptFileInfo is one). */
type ComparedFile = { path: string; sha256: string; split: boolean };

export type FileChange = { path: string; change: "added" | "removed" | "changed" | "unchanged" };

/** How the files of revision `to` differ from those of `from`, by path then content hash (sorted by path). */
export function fileChanges(from: ComparedFile[], to: ComparedFile[]): FileChange[] {
  const before = new Map(from.map((f) => [f.path, f]));
  const after = new Map(to.map((f) => [f.path, f]));
  const paths = [...new Set([...before.keys(), ...after.keys()])].sort();
  return paths.map((path) => {
    const a = before.get(path);
    const b = after.get(path);
    if (a === undefined) return { path, change: "added" };
    if (b === undefined) return { path, change: "removed" };
    return { path, change: a.sha256 === b.sha256 && a.split === b.split ? "unchanged" : "changed" };
  });
}
