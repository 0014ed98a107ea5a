import { memo } from "preact/compat";
import type { RefObject } from "preact";
import { useContext, useEffect, useRef, useState } from "preact/hooks";
import { ThemeContext } from "./Chart.js";
import type { CodeEditor } from "./codeEditor.js";
import { Loading } from "./ui.js";

/** CodeMirror's container, never re-rendered: the editor's DOM is CodeMirror's, not Preact's to diff. */
const EditorHost = memo(
  ({ box }: { box: RefObject<HTMLDivElement | null> }) => <div ref={box} class="script-editor" />,
  () => true,
);

interface Props {
  value: string;
  onChange: (text: string) => void;
  label: string;
  /** The line a syntax error is on, marked in the editor (null: none). */
  errorLine?: number | null;
}

/** The locustfile in a code editor (CodeMirror, Python highlighting, loaded on first use). */
export function ScriptEditor({ value, onChange, label, errorLine = null }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const editor = useRef<CodeEditor | null>(null);
  const [ready, setReady] = useState(false);
  const latest = useRef({ value, onChange });
  latest.current = { value, onChange };
  /** Texts the editor reported (the newest 100): a `value` among them is an echo of typing, not a change from outside. */
  const reported = useRef(new Set<string>());
  const theme = useContext(ThemeContext);

  useEffect(() => {
    let live = true;
    void import("./codeEditor.js").then(({ createCodeEditor }) => {
      if (!live || box.current === null) return;
      editor.current = createCodeEditor(box.current, {
        doc: latest.current.value,
        dark: theme === "dark",
        label,
        onChange: (text) => {
          reported.current.add(text);
          if (reported.current.size > 100) reported.current.delete(reported.current.values().next().value ?? "");
          // After CodeMirror's update has finished: Preact may re-render at once, inside it.
          setTimeout(() => latest.current.onChange(text), 0);
        },
      });
      setReady(true);
    });
    return () => {
      live = false;
      editor.current?.destroy();
      editor.current = null;
    };
    // The document is the editor's own once created; only a theme change rebuilds it (keeping the text).
  }, [theme]);

  // Replaced only by a change from outside (a file loaded): replacing it with an echo of what was
  // typed a keystroke ago would undo the newest keystrokes.
  useEffect(() => {
    const current = editor.current;
    if (current === null || value === current.text() || reported.current.has(value)) return;
    reported.current.clear();
    current.replace(value);
  }, [value]);

  useEffect(() => {
    if (ready) editor.current?.markError(errorLine);
  }, [ready, errorLine]);

  return (
    <>
      {!ready && <Loading what="the editor" />}
      <EditorHost box={box} />
    </>
  );
}
