import { z } from "zod";

export const MAX_SCRIPT_BYTES = 1024 * 1024;

/**
 * Padded base64, checked in linear time: a pattern of repeated groups overflows V8's regex stack on a
 * few megabytes, which a request body may now hold.
 */
export const isBase64 = (value: string): boolean => value.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(value);

/** The decoded size of a base64 string, without decoding it. */
export function base64Bytes(base64: string): number {
  return (base64.length / 4) * 3 - (base64.match(/=+$/)?.[0].length ?? 0);
}

export type ScriptProblem = "SCRIPT_NOT_BASE64" | "SCRIPT_EMPTY" | "SCRIPT_NOT_UTF8" | "SCRIPT_TOO_LARGE";

/** Decodes a base64 locustfile, or says which rule it breaks. */
export function decodeScript(
  base64: string,
): { ok: true; text: string } | { ok: false; problem: ScriptProblem; message: string } {
  const compact = base64.replace(/\s+/g, "");
  if (!isBase64(compact)) {
    return { ok: false, problem: "SCRIPT_NOT_BASE64", message: "scriptContent is not valid base64" };
  }
  // Checked on the encoded length first so a huge payload is never decoded.
  if (base64Bytes(compact) > MAX_SCRIPT_BYTES) {
    return { ok: false, problem: "SCRIPT_TOO_LARGE", message: `the script is over ${MAX_SCRIPT_BYTES} bytes (1 MiB)` };
  }
  const bytes = Buffer.from(compact, "base64");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return { ok: false, problem: "SCRIPT_NOT_UTF8", message: "the script is not UTF-8 text" };
  }
  if (text.trim() === "") {
    return { ok: false, problem: "SCRIPT_EMPTY", message: "the script is empty" };
  }
  return { ok: true, text };
}

/**
 * base64 of a locustfile: valid base64 of non-empty UTF-8 text of at most 1 MiB. Line breaks
 * (as `base64` wraps its output) are accepted and removed, so the stored form is one line.
 */
export const scriptContentSchema = z
  .string()
  .transform((value) => value.replace(/\s+/g, ""))
  .superRefine((value, ctx) => {
    const decoded = decodeScript(value);
    if (!decoded.ok) ctx.addIssue({ code: "custom", message: decoded.message, params: { code: decoded.problem } });
  });

export function encodeScript(text: string): string {
  return Buffer.from(text, "utf-8").toString("base64");
}
