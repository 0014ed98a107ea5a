export const REDACTED = "***";
/** A form shorter than this is not hidden (it would hide everything). */
const MIN_FORM_LENGTH = 4;

/** Percent-encodes every byte of `value` but the characters `keep` allows, as URL libraries do. */
function percentEncode(value: string, keep: RegExp): string {
  let out = "";
  for (const char of value) {
    if (keep.test(char)) out += char;
    else for (const byte of Buffer.from(char, "utf-8")) out += `%${byte.toString(16).toUpperCase().padStart(2, "0")}`;
  }
  return out;
}

/**
 * The forms a secret's value can take in what a script sends and Locust reports: as it is,
 * JSON-escaped (both ways Python and JavaScript write it), percent-encoded by the rules of
 * JavaScript's encodeURI/encodeURIComponent and Python's quote/quote_plus (`+` for a space; upper-
 * and lower-case hex), and base64 (standard and URL-safe, padded or not). The same list as the
 * generator's (locust/loadmgr_locust/redact.py), which hides them before anything is written there.
 */
export function secretForms(value: string): string[] {
  const forms = new Set<string>([
    value,
    JSON.stringify(value).slice(1, -1),
    JSON.stringify(value)
      .slice(1, -1)
      .replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`),
    encodeURIComponent(value),
    encodeURI(value),
    percentEncode(value, /[A-Za-z0-9_.~-]/),
    percentEncode(value, /[A-Za-z0-9_.~/-]/),
    percentEncode(value, /[A-Za-z0-9_.~ -]/).replace(/ /g, "+"),
    percentEncode(value, /[A-Za-z0-9_.~/ -]/).replace(/ /g, "+"),
    encodeURIComponent(value).replace(/%20/g, "+"),
    value.replace(/ /g, "+"),
  ]);
  const standard = Buffer.from(value, "utf-8").toString("base64");
  const urlSafe = standard.replace(/\+/g, "-").replace(/\//g, "_");
  for (const encoded of [standard, urlSafe]) {
    forms.add(encoded);
    forms.add(encoded.replace(/=+$/, ""));
  }
  for (const form of [...forms]) {
    if (form.includes("%")) forms.add(form.replace(/%[0-9A-F]{2}/g, (m) => m.toLowerCase()));
  }
  return [...forms].filter((f) => f.length >= MIN_FORM_LENGTH);
}

/**
 * Replaces a run's secret values in what its Locust reports before anyone can read it, in every
 * form secretForms lists. Longer forms go first, so one secret inside another is not left half shown.
 */
export class Redactor {
  private readonly needles: string[];

  constructor(values: string[]) {
    const forms = new Set<string>();
    for (const value of values) {
      if (value.length === 0) continue;
      for (const form of secretForms(value)) forms.add(form);
    }
    this.needles = [...forms].sort((a, b) => b.length - a.length);
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
