export const REDACTED = "***";

/**
 * Replaces a run's secret values in what its Locust reports before anyone can read it: as they
 * are, and in the forms a URL or a JSON string carries them (percent-encoded, escaped). Longer
 * values go first, so one secret inside another is not left half shown.
 */
export class Redactor {
  private readonly needles: string[];

  constructor(values: string[]) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value.length === 0) continue;
      forms.add(value);
      forms.add(encodeURIComponent(value));
      forms.add(encodeURI(value));
      forms.add(JSON.stringify(value).slice(1, -1));
      forms.add(value.replace(/ /g, "+"));
    }
    this.needles = [...forms].filter((f) => f.length > 0).sort((a, b) => b.length - a.length);
  }

  get empty(): boolean {
    return this.needles.length === 0;
  }

  text(value: string): string {
    let out = value;
    for (const needle of this.needles) {
      if (out.includes(needle)) out = out.split(needle).join(REDACTED);
    }
    return out;
  }

  /** Every string in a JSON-like value, object keys included (endpoint names are keys). Walked with a stack. */
  deep<T>(value: T): T {
    if (this.empty) return value;
    const root = { v: value as unknown };
    const stack: Record<string, unknown>[] = [root];
    while (stack.length > 0) {
      const node = stack.pop() as Record<string, unknown> | unknown[];
      if (Array.isArray(node)) {
        for (let i = 0; i < node.length; i++) {
          const child: unknown = node[i];
          if (typeof child === "string") node[i] = this.text(child);
          else if (typeof child === "object" && child !== null) stack.push(child as Record<string, unknown>);
        }
        continue;
      }
      for (const key of Object.keys(node)) {
        const child = node[key];
        const safeKey = this.text(key);
        if (safeKey !== key) {
          delete node[key];
          node[safeKey] = child;
        }
        if (typeof child === "string") node[safeKey] = this.text(child);
        else if (typeof child === "object" && child !== null) stack.push(child as Record<string, unknown>);
      }
    }
    return root.v as T;
  }
}
