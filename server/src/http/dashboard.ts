import { createHash } from "node:crypto";
import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";

/** Where `web/build.ts` puts the dashboard: index.html, and hashed scripts and styles with .gz and .br copies. */
export const DASHBOARD_DIR = resolve(import.meta.dirname, "../../../web/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

/** A name the build gave from its content (app-5XK2…js, chunk-…js.map): it never names other bytes. */
const HASHED = /^[a-z]+-[A-Z0-9]{8}\./;
/** Kept by browsers and proxies for a year, never asked again. */
const IMMUTABLE = "public, max-age=31536000, immutable";
/** The page itself is asked again on every load, answered 304 while it is the same. */
const REVALIDATE = "no-cache";

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Load Manager</title>
<p>The dashboard is not built. Run <code>npm run build:web</code> (<code>npm start</code> does it) and reload.</p>`;

export interface DashboardFile {
  status: number;
  type: string;
  body: Buffer | string;
  /** The page's own bytes (the CSP lists its inline scripts' hashes), when `body` is compressed. */
  page?: string;
  headers: Record<string, string>;
}

/** The encodings a request accepts, brotli first: `Accept-Encoding: gzip, br;q=0` gives gzip only. */
export function acceptedEncodings(header: string | undefined): ("br" | "gzip")[] {
  const weights = new Map<string, number>();
  for (const part of (header ?? "").toLowerCase().split(",")) {
    const [name = "", ...params] = part.trim().split(";");
    const q = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    weights.set(name.trim(), q === undefined ? 1 : Number(q.slice(2)) || 0);
  }
  const accepts = (name: string) => (weights.get(name) ?? weights.get("*") ?? 0) > 0;
  return (["br", "gzip"] as const).filter(accepts);
}

async function readIfThere(path: string): Promise<Buffer | undefined> {
  try {
    return await readFile(path);
  } catch {
    return undefined;
  }
}

/**
 * A file of the built dashboard for a GET path: `/` is its page (the page routes by the URL's hash),
 * other paths are the flat files next to it; compressed as the request accepts, cached for good when
 * its name is hashed, and 304 for a page the browser already holds. Undefined for anything else.
 */
export async function dashboardFile(
  path: string,
  request: { acceptEncoding?: string; ifNoneMatch?: string } = {},
  dir = DASHBOARD_DIR,
): Promise<DashboardFile | undefined> {
  const name = path === "/" ? "index.html" : path.slice(1);
  // Flat names only: nothing outside the folder can be named (nor a .gz or .br copy by itself).
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$/.test(name)) return undefined;
  const type = TYPES[extname(name)];
  if (type === undefined) return undefined;
  const plain = await readIfThere(join(dir, name));
  if (plain === undefined) {
    return name === "index.html"
      ? { status: 503, type, body: NOT_BUILT, headers: { "cache-control": "no-store" } }
      : undefined;
  }
  const hashed = HASHED.test(name);
  const headers: Record<string, string> = {
    "cache-control": hashed ? IMMUTABLE : REVALIDATE,
    vary: "accept-encoding",
    // A hashed name is its own version (never asked again): only the page needs an ETag.
    ...(hashed ? {} : { etag: `"${createHash("sha256").update(plain).digest("base64url").slice(0, 27)}"` }),
  };
  const page = type.startsWith("text/html") ? plain.toString() : undefined;
  if (request.ifNoneMatch !== undefined && request.ifNoneMatch.split(",").some((t) => t.trim() === headers.etag)) {
    return { status: 304, type, body: "", page, headers };
  }
  for (const encoding of acceptedEncodings(request.acceptEncoding)) {
    const packed = await readIfThere(join(dir, `${name}.${encoding === "br" ? "br" : "gz"}`));
    if (packed !== undefined) {
      return { status: 200, type, body: packed, page, headers: { ...headers, "content-encoding": encoding } };
    }
  }
  return { status: 200, type, body: plain, page, headers };
}
