// CodeMirror and its Python mode: two thirds of the dashboard's code, so its own chunk, loaded by
// ScriptEditor when a page shows an editor.
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { EditorState, StateEffect, StateField } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import {
  Decoration,
  highlightActiveLine,
  highlightActiveLineGutter,
  lineNumbers,
  type DecorationSet,
} from "@codemirror/view";
import { EditorView, minimalSetup } from "codemirror";

export interface CodeEditor {
  text: () => string;
  /** Replaces the whole document; `onChange` hears of it as of typing. */
  replace: (text: string) => void;
  /** Marks the line a syntax error is on (1-based) and scrolls to it; null clears it. Editing clears it too. */
  markError: (line: number | null) => void;
  destroy: () => void;
}

const setErrorLine = StateEffect.define<number | null>();

/** The marked line, as a line decoration that any edit removes (the line may be fixed). */
const errorLine = StateField.define<DecorationSet>({
  create: () => Decoration.none,
  update(marked, tr) {
    let next = tr.docChanged ? Decoration.none : marked;
    for (const effect of tr.effects) {
      if (!effect.is(setErrorLine)) continue;
      const line = effect.value;
      next =
        line === null || line < 1 || line > tr.state.doc.lines
          ? Decoration.none
          : Decoration.set([
              Decoration.line({ class: "cm-error-line", attributes: { "data-error-line": String(line) } }).range(
                tr.state.doc.line(line).from,
              ),
            ]);
    }
    return next;
  },
  provide: (field) => EditorView.decorations.from(field),
});

export function createCodeEditor(
  parent: HTMLElement,
  options: { doc: string; dark: boolean; label: string; onChange: (text: string) => void },
): CodeEditor {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: options.doc,
      extensions: [
        minimalSetup,
        lineNumbers(),
        highlightActiveLineGutter(),
        highlightActiveLine(),
        bracketMatching(),
        indentOnInput(),
        python(),
        errorLine,
        ...(options.dark ? [oneDark] : []),
        EditorView.contentAttributes.of({ "aria-label": options.label }),
        EditorView.updateListener.of((update) => {
          if (update.docChanged) options.onChange(update.state.doc.toString());
        }),
      ],
    }),
  });
  return {
    text: () => view.state.doc.toString(),
    replace: (text) => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }),
    markError: (line) => {
      const { doc } = view.state;
      const at = line !== null && line >= 1 && line <= doc.lines ? doc.line(line).from : null;
      view.dispatch({
        effects: [setErrorLine.of(line), ...(at !== null ? [EditorView.scrollIntoView(at, { y: "center" })] : [])],
      });
    },
    destroy: () => view.destroy(),
  };
}
