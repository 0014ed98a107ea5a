/** One line of a line diff: kept (" "), removed ("-") or added ("+"), with its 1-based numbers in a and b. */
export interface DiffLine {
  kind: " " | "-" | "+";
  text: string;
  /** Its number in a (for "+", the number of the a line before it). */
  a: number;
  /** Its number in b (for "-", the number of the b line before it). */
  b: number;
}

/** Two texts compared by lines (longest common subsequence; scripts are small). */
export function diffLines(a: string, b: string): DiffLine[] {
  // A final newline ends the last line; it is not an empty line of its own.
  const left = a.replace(/\n$/, "").split("\n");
  const right = b.replace(/\n$/, "").split("\n");
  const n = left.length;
  const m = right.length;
  // lcs(i, j): how many lines left[i..] and right[j..] have in common, in one flat table.
  const table = new Uint32Array((n + 1) * (m + 1));
  const lcs = (i: number, j: number): number => table[i * (m + 1) + j] ?? 0;
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      table[i * (m + 1) + j] = left[i] === right[j] ? lcs(i + 1, j + 1) + 1 : Math.max(lcs(i + 1, j), lcs(i, j + 1));
    }
  }
  const lines: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && left[i] === right[j]) lines.push({ kind: " ", text: left[i++] ?? "", a: i, b: ++j });
    else if (i < n && (j === m || lcs(i + 1, j) >= lcs(i, j + 1))) {
      // Removals before additions, as diff(1) prints them.
      lines.push({ kind: "-", text: left[i++] ?? "", a: i, b: j });
    } else lines.push({ kind: "+", text: right[j++] ?? "", a: i, b: j });
  }
  return lines;
}

/** A unified diff of two texts, by lines, with `context` lines around each change. */
export function unifiedDiff(a: string, b: string, labels: [string, string], context = 3): string {
  const lines = diffLines(a, b);
  const changed = lines.map((line, index) => (line.kind !== " " ? index : -1)).filter((index) => index >= 0);
  if (changed.length === 0) return "";
  const out = [`--- ${labels[0]}`, `+++ ${labels[1]}`];
  let start = 0;
  while (start < changed.length) {
    let end = start;
    while (end + 1 < changed.length && (changed[end + 1] as number) - (changed[end] as number) <= 2 * context) end++;
    const from = Math.max(0, (changed[start] as number) - context);
    const to = Math.min(lines.length - 1, (changed[end] as number) + context);
    const hunk = lines.slice(from, to + 1);
    const aStart = hunk.find((l) => l.kind !== "+")?.a ?? 0;
    const bStart = hunk.find((l) => l.kind !== "-")?.b ?? 0;
    const aCount = hunk.filter((l) => l.kind !== "+").length;
    const bCount = hunk.filter((l) => l.kind !== "-").length;
    out.push(`@@ -${aStart},${aCount} +${bStart},${bCount} @@`);
    for (const line of hunk) out.push(`${line.kind}${line.text}`);
    start = end + 1;
  }
  return `${out.join("\n")}\n`;
}
