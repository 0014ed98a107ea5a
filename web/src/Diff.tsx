import { diffLines, type DiffLine } from "../../shared/src/textDiff.js";

interface Row {
  left: { number: number; text: string; changed: boolean } | null;
  right: { number: number; text: string; changed: boolean } | null;
}

/** Lines side by side: unchanged lines on both sides, a removed block next to the block that replaced it. */
export function sideBySide(lines: DiffLine[]): Row[] {
  const rows: Row[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i] as DiffLine;
    if (line.kind === " ") {
      rows.push({
        left: { number: line.a, text: line.text, changed: false },
        right: { number: line.b, text: line.text, changed: false },
      });
      i++;
      continue;
    }
    const removed: DiffLine[] = [];
    const added: DiffLine[] = [];
    while (i < lines.length && lines[i]?.kind === "-") removed.push(lines[i++] as DiffLine);
    while (i < lines.length && lines[i]?.kind === "+") added.push(lines[i++] as DiffLine);
    for (let k = 0; k < Math.max(removed.length, added.length); k++) {
      const r = removed[k];
      const a = added[k];
      rows.push({
        left: r === undefined ? null : { number: r.a, text: r.text, changed: true },
        right: a === undefined ? null : { number: a.b, text: a.text, changed: true },
      });
    }
  }
  return rows;
}

export function SideBySideDiff({ before, after, labels }: { before: string; after: string; labels: [string, string] }) {
  const rows = sideBySide(diffLines(before, after));
  const changes = rows.filter((r) => r.left?.changed === true || r.right?.changed === true).length;
  const cell = (side: Row["left"], kind: "del" | "add") =>
    side === null ? (
      <>
        <td class="diff-num" />
        <td class="diff-empty" />
      </>
    ) : (
      <>
        <td class="diff-num">{side.number}</td>
        <td class={side.changed ? `diff-${kind}` : undefined}>
          <code>{side.text === "" ? " " : side.text}</code>
        </td>
      </>
    );
  return (
    <div class="diff" aria-label={`Changes from ${labels[0]} to ${labels[1]}`}>
      <p class="muted">
        {changes === 0 ? "The two revisions are the same." : `${changes} changed line${changes === 1 ? "" : "s"}`}
      </p>
      <div class="table-wrap">
        <table class="diff-table">
          {/* Two equal halves whatever the lines' lengths: long lines wrap in their half. */}
          <colgroup>
            <col class="diff-num-col" />
            <col />
            <col class="diff-num-col" />
            <col />
          </colgroup>
          <thead>
            <tr>
              <th colSpan={2} scope="col">
                {labels[0]}
              </th>
              <th colSpan={2} scope="col">
                {labels[1]}
              </th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index}>
                {cell(row.left, "del")}
                {cell(row.right, "add")}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
