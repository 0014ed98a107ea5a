// CodeMirror and its Python mode: two thirds of the dashboard's code, so its own chunk, loaded by
// ScriptEditor when a page shows an editor.
import { python } from "@codemirror/lang-python";
import { bracketMatching, indentOnInput } from "@codemirror/language";
import { EditorState } from "@codemirror/state";
import { oneDark } from "@codemirror/theme-one-dark";
import { highlightActiveLine, highlightActiveLineGutter, lineNumbers } from "@codemirror/view";
import { EditorView, minimalSetup } from "codemirror";

export interface CodeEditor {
  text: () => string;
  /** Replaces the whole document; `onChange` hears of it as of typing. */
  replace: (text: string) => void;
  destroy: () => void;
}

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
    destroy: () => view.destroy(),
  };
}
