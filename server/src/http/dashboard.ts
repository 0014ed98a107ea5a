import { readFile } from "node:fs/promises";
import { extname, join, resolve } from "node:path";

/** Where `npm run build:web` puts the dashboard: index.html, app.js, app.css and their maps. */
export const DASHBOARD_DIR = resolve(import.meta.dirname, "../../../web/dist");

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".map": "application/json",
  ".txt": "text/plain; charset=utf-8",
};

const NOT_BUILT = `<!doctype html><meta charset="utf-8"><title>Load Manager</title>
<p>The dashboard is not built. Run <code>npm run build:web</code> (<code>npm start</code> does it) and reload.</p>`;

/**
 * A file of the built dashboard for a GET path: `/` is its page (the page routes by the URL's hash),
 * other paths are the flat files next to it. Undefined for anything else.
 */
export async function dashboardFile(
  path: string,
  dir = DASHBOARD_DIR,
): Promise<{ status: number; type: string; body: Buffer | string } | undefined> {
  const name = path === "/" ? "index.html" : path.slice(1);
  // Flat names only: nothing outside the folder can be named.
  if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9]+)+$/.test(name)) return undefined;
  const type = TYPES[extname(name)];
  if (type === undefined) return undefined;
  try {
    return { status: 200, type, body: await readFile(join(dir, name)) };
  } catch {
    return name === "index.html" ? { status: 503, type, body: NOT_BUILT } : undefined;
  }
}
