import { python } from "@codemirror/lang-python";
import { EditorState } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { lineNumbers, highlightActiveLine, highlightActiveLineGutter } from "@codemirror/view";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { EditorView, minimalSetup } from "codemirror";
import { memo } from "preact/compat";
import type { RefObject } from "preact";
import { useContext, useEffect, useRef } from "preact/hooks";
import { ThemeContext } from "./Chart.js";

/** CodeMirror's container, never re-rendered: the editor's DOM is CodeMirror's, not Preact's to diff. */
const EditorHost = memo(
  ({ box }: { box: RefObject<HTMLDivElement | null> }) => <div ref={box} class="script-editor" />,
  () => true,
);

interface Props {
  value: string;
  onChange: (text: string) => void;
  label: string;
}

/** The locustfile in a code editor (CodeMirror, Python highlighting). */
export function ScriptEditor({ value, onChange, label }: Props) {
  const box = useRef<HTMLDivElement>(null);
  const view = useRef<EditorView | null>(null);
  const latest = useRef(onChange);
  latest.current = onChange;
  /** Texts the editor reported (the newest 100): a `value` among them is an echo of typing, not a change from outside. */
  const reported = useRef(new Set<string>());
  const theme = useContext(ThemeContext);

  useEffect(() => {
    if (box.current === null) return;
    view.current = new EditorView({
      parent: box.current,
      state: EditorState.create({
        doc: value,
        extensions: [
          minimalSetup,
          lineNumbers(),
          highlightActiveLineGutter(),
          highlightActiveLine(),
          bracketMatching(),
          indentOnInput(),
          python(),
          ...(theme === "dark" ? [oneDark] : []),
          EditorView.contentAttributes.of({ "aria-label": label }),
          EditorView.updateListener.of((update) => {
            if (!update.docChanged) return;
            const text = update.state.doc.toString();
            reported.current.add(text);
            if (reported.current.size > 100) reported.current.delete(reported.current.values().next().value ?? "");
            // After CodeMirror's update has finished: Preact may re-render at once, inside it.
            setTimeout(() => latest.current(text), 0);
          }),
        ],
      }),
    });
    return () => view.current?.destroy();
    // The document is the editor's own once created; only a theme change rebuilds it (keeping the text).
  }, [theme]);

  // Replaced only by a change from outside (a file loaded): replacing it with an echo of what was
  // typed a keystroke ago would undo the newest keystrokes.
  useEffect(() => {
    const current = view.current;
    if (current === null || value === current.state.doc.toString() || reported.current.has(value)) return;
    reported.current.clear();
    current.dispatch({ changes: { from: 0, to: current.state.doc.length, insert: value } });
  }, [value]);

  return <EditorHost box={box} />;
}
