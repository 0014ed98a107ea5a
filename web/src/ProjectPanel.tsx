import { useEffect, useMemo, useState } from "preact/hooks";
import type { LoadManagerClient, LoadTest, ScriptRevision } from "../../client/src/index.js";
import { LOCUSTFILE_PATH, pathProblem } from "../../shared/src/scriptPaths.js";
import { byteSize } from "./format.js";
import { useLeaveGuard } from "./leaveGuard.js";
import { fromBase64, toBase64 } from "./script.js";
import { ScriptEditor } from "./ScriptEditor.js";
import { problemOf, syntaxErrorLine, type Problem } from "./session.js";
import { Field } from "./ui.js";

/** A file of the project as the editor holds it. */
interface ProjectFile {
  path: string;
  contentBase64: string;
  split: boolean;
}

/** The file's text when it is UTF-8 text, else null (shown as a binary file, replaced by upload only). */
export function textOf(base64: string): string | null {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
}

function bytesToBase64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  return btoa(binary);
}

const sizeOf = (base64: string): number => Math.floor((base64.length * 3) / 4) - (base64.match(/=+$/)?.[0].length ?? 0);
const same = (a: ProjectFile[], b: ProjectFile[]): boolean =>
  a.length === b.length &&
  a.every((f, i) => f.path === b[i]?.path && f.contentBase64 === b[i].contentBase64 && f.split === b[i].split);

/**
 * The test's project: its locustfile and the files beside it. Text files are edited in place, others
 * uploaded (or replaced); a CSV may be split among the run's workers. Saving makes one new revision
 * with exactly these files.
 */
export function ProjectPanel({
  client,
  test,
  revisions,
  onSaved,
}: {
  client: LoadManagerClient;
  test: LoadTest;
  revisions: ScriptRevision[];
  onSaved: () => void;
}) {
  const latest = revisions.find((r) => r.id === test.latestRevisionId);
  const original = latest === undefined ? "" : fromBase64(latest.scriptContent);
  const [text, setText] = useState(original);
  const [loaded, setLoaded] = useState<ProjectFile[]>([]);
  const [files, setFiles] = useState<ProjectFile[]>([]);
  const [selected, setSelected] = useState(LOCUSTFILE_PATH);
  const [folder, setFolder] = useState("data");
  const [newPath, setNewPath] = useState("");
  const [description, setDescription] = useState("");
  const [problem, setProblem] = useState<Problem | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => setText(original), [original]);
  // The latest revision's files, with their contents: what a save starts from.
  useEffect(() => {
    if (latest === undefined) return;
    let live = true;
    Promise.all(
      latest.files.map(async (info) => {
        const file = await client.scripts.file.query({ id: test.id, revisionId: latest.id, path: info.path });
        return { path: info.path, contentBase64: file.contentBase64, split: info.split };
      }),
    )
      .then((contents) => {
        if (!live) return;
        setLoaded(contents);
        setFiles(contents);
        setSelected((s) => (s === LOCUSTFILE_PATH || contents.some((f) => f.path === s) ? s : LOCUSTFILE_PATH));
      })
      .catch((error: unknown) => live && setProblem(problemOf(error)));
    return () => {
      live = false;
    };
  }, [client, test.id, latest?.id]);

  const dirty = text !== original || !same(files, loaded);
  useLeaveGuard(dirty, "script edits");
  const current = files.find((f) => f.path === selected);
  const currentText = useMemo(() => (current === undefined ? null : textOf(current.contentBase64)), [current]);

  const change = (path: string, patch: Partial<ProjectFile>) =>
    setFiles((fs) => fs.map((f) => (f.path === path ? { ...f, ...patch } : f)));
  const put = (file: ProjectFile) =>
    setFiles((fs) => [...fs.filter((f) => f.path !== file.path), file].sort((a, b) => (a.path < b.path ? -1 : 1)));

  function addNew() {
    const path = newPath.trim();
    const why = pathProblem(path);
    if (why !== null || files.some((f) => f.path === path)) {
      setProblem({
        code: "INVALID_FILE_PATH",
        message: `${path || "The path"}: ${why ?? "is there already"}`,
        fields: {},
        paths: {},
      });
      return;
    }
    put({ path, contentBase64: "", split: false });
    setSelected(path);
    setNewPath("");
  }

  async function upload(list: FileList | null) {
    if (list === null) return;
    const prefix = folder.trim().replace(/^\/+|\/+$/g, "");
    for (const file of Array.from(list)) {
      const path = prefix === "" ? file.name : `${prefix}/${file.name}`;
      const contentBase64 = bytesToBase64(new Uint8Array(await file.arrayBuffer()));
      put({ path, contentBase64, split: files.find((f) => f.path === path)?.split ?? false });
      setSelected(path);
    }
  }

  async function save(event: Event) {
    event.preventDefault();
    setBusy(true);
    setProblem(null);
    try {
      await client.scripts.update.mutate({ id: test.id, scriptContent: toBase64(text), files, description });
      setDescription("");
      onSaved();
    } catch (error) {
      setProblem(problemOf(error));
    } finally {
      setBusy(false);
    }
  }

  // The editor stays outside the <form>: typing in a contenteditable inside a form closes headless
  // Chromium's page (seen with Chromium 156); the form holds the description and the button.
  return (
    <section class="panel" aria-labelledby="script-title">
      <div class="page-head">
        <h2 id="script-title">Project · revision {test.latestRevisionNumber}</h2>
        {dirty && <span class="badge badge-pending">unsaved changes</span>}
      </div>
      <div class="project">
        <ul class="file-list" aria-label="Files">
          {[{ path: LOCUSTFILE_PATH, contentBase64: toBase64(text), split: false }, ...files].map((f) => (
            <li key={f.path}>
              <button
                type="button"
                class={f.path === selected ? "file selected" : "file"}
                aria-current={f.path === selected ? "true" : undefined}
                data-path={f.path}
                onClick={() => setSelected(f.path)}
              >
                <span class="mono">{f.path}</span>
                <span class="muted"> {byteSize(sizeOf(f.contentBase64))}</span>
                {f.split && <span class="badge">split</span>}
              </button>
            </li>
          ))}
        </ul>
        <div class="file-view">
          {selected === LOCUSTFILE_PATH || current === undefined ? (
            <ScriptEditor value={text} onChange={setText} label="Locustfile" errorLine={syntaxErrorLine(problem)} />
          ) : (
            <>
              {currentText !== null ? (
                <ScriptEditor
                  value={currentText}
                  onChange={(value) => change(current.path, { contentBase64: toBase64(value) })}
                  label={current.path}
                />
              ) : (
                <p class="muted" data-testid="binary-file">
                  {current.path}: a binary file of {byteSize(sizeOf(current.contentBase64))}; upload a file of the same
                  name to replace it.
                </p>
              )}
              <div class="inline-form">
                {current.path.toLowerCase().endsWith(".csv") && (
                  <label class="check">
                    <input
                      type="checkbox"
                      name="split"
                      checked={current.split}
                      onChange={(e) => change(current.path, { split: e.currentTarget.checked })}
                    />{" "}
                    Split its rows among the run's workers (each gets its own, the header kept)
                  </label>
                )}
                <button
                  type="button"
                  class="secondary"
                  onClick={() => {
                    setFiles((fs) => fs.filter((f) => f.path !== current.path));
                    setSelected(LOCUSTFILE_PATH);
                  }}
                >
                  Remove {current.path}
                </button>
              </div>
            </>
          )}
        </div>
      </div>
      {problem !== null && (
        <p class="field-error" role="alert">
          {problem.fields.scriptContent ?? problem.message}
        </p>
      )}
      <div class="inline-form project-add">
        <label>
          <span class="field-label">Upload into folder</span>
          <input name="folder" value={folder} onInput={(e) => setFolder(e.currentTarget.value)} />
        </label>
        <label>
          <span class="field-label">Files</span>
          <input
            type="file"
            name="upload"
            multiple
            onChange={(e) => {
              void upload(e.currentTarget.files);
              e.currentTarget.value = "";
            }}
          />
        </label>
        <label>
          <span class="field-label">New text file</span>
          <input
            name="newPath"
            placeholder="lib/helpers.py"
            value={newPath}
            onInput={(e) => setNewPath(e.currentTarget.value)}
          />
        </label>
        <button type="button" class="secondary" onClick={addNew} disabled={newPath.trim() === ""}>
          Add
        </button>
      </div>
      <form class="inline-form" onSubmit={(e) => void save(e)}>
        <Field label="What changed" name="description" problem={problem}>
          <input name="description" value={description} onInput={(e) => setDescription(e.currentTarget.value)} />
        </Field>
        <button type="submit" disabled={busy || !dirty}>
          {busy ? "Saving…" : "Save as new revision"}
        </button>
      </form>
    </section>
  );
}
