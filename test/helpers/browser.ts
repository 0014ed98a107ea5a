import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { SCOPE } from "./runs.js";
import { ADMIN_TOKEN } from "./server.js";

/** Debian's Chromium (scripts/setup-test.sh installs it); no browser is downloaded. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

/** Where the end-to-end tests leave a screenshot of each page; the README links it. */
export const SCREENSHOTS = resolve(import.meta.dirname, "../../docs/screenshots");

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    // Headless in a sandboxless container, and quiet on a machine with no network beyond loopback.
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true, animations: "disabled" });
}

/**
 * The page's uncaught errors and console errors, so a test can say there were none. The browser's
 * own note of a 4xx answer is left out: tests send bad input on purpose, and the page shows it.
 */
export function pageErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  page.on("console", (message) => {
    if (message.type() === "error" && !/Failed to load resource: .* status of 4\d\d/.test(message.text()))
      errors.push(message.text());
  });
  return errors;
}

/** A page signed in with the admin token on the test scope (any env), opened at `hash`, with its errors collected. */
export async function signedIn(
  browser: Browser,
  url: string,
  hash: string,
  timeoutMs = 20_000,
): Promise<{ page: Page; errors: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 900 } });
  const errors = pageErrors(page);
  page.setDefaultTimeout(timeoutMs);
  await page.addInitScript(
    [
      `localStorage.setItem("loadmgr.token", ${JSON.stringify(ADMIN_TOKEN)})`,
      `localStorage.setItem("loadmgr.scope", ${JSON.stringify(JSON.stringify({ ...SCOPE, envId: "" }))})`,
    ].join(";"),
  );
  await page.goto(`${url}/${hash}`);
  return { page, errors };
}
