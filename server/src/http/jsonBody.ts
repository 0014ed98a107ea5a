import type { IncomingMessage } from "node:http";

/** Deeper than any request of this API needs; deep enough input only serves to exhaust a stack. */
export const MAX_JSON_DEPTH = 64;

export class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: "INVALID_INPUT" | "PAYLOAD_TOO_LARGE",
    message: string,
  ) {
    super(message);
  }
}

/** How deeply the JSON text nests objects and arrays, counted without parsing (strings skipped). */
export function jsonDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c)
        i++; // a backslash escapes the next character
      else if (c === 0x22) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b || c === 0x5b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x7d || c === 0x5d) depth--;
  }
  return deepest;
}

/**
 * Reads a JSON request body, refusing one over `maxBytes` or nested deeper than MAX_JSON_DEPTH, and
 * leaves it parsed on `req.body`, where both tRPC's and the REST layer's adapters take it from. Both
 * walk a body recursively (superjson, re-serialising), so depth is checked before anything parses it.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number, as: "text" | "parsed"): Promise<void> {
  const declared = Number(req.headers["content-length"] ?? 0);
  if (declared > maxBytes) throw new BodyError(413, "PAYLOAD_TOO_LARGE", `request body over ${maxBytes} bytes`);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw new BodyError(413, "PAYLOAD_TOO_LARGE", `request body over ${maxBytes} bytes`);
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString("utf-8");
  // No body, or JSON's own whitespace only (space, tab, CR, LF): as no body. Other blanks (a form
  // feed, a no-break space) are not JSON, and refused below like any other text that is not.
  if (/^[ \t\r\n]*$/.test(text)) {
    Object.assign(req, { body: undefined });
    return;
  }
  if (jsonDepth(text) > MAX_JSON_DEPTH) {
    throw new BodyError(400, "INVALID_INPUT", `the JSON body is nested deeper than ${MAX_JSON_DEPTH} levels`);
  }
  if (as === "text") {
    Object.assign(req, { body: text });
    return;
  }
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new BodyError(400, "INVALID_INPUT", "the body is not JSON");
  }
  // Every REST body is an object of named fields; the REST layer would read any other value as `{}`.
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new BodyError(400, "INVALID_INPUT", "the body must be a JSON object");
  }
  Object.assign(req, { body });
}
