import { request as httpRequest, type RequestOptions } from "node:http";
import { request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { resolveTarget, WebhookTargetError } from "./webhookTarget.js";

export interface AttemptResult {
  statusCode: number | null;
  /** Why it failed; null: delivered (a 2xx answer). */
  error: string | null;
  durationMs: number;
}

/** What of an answer is read (and dropped): enough to see it end, not enough to fill memory. */
const MAX_ANSWER_BYTES = 64 * 1024;

/**
 * One POST of `body` to `url`: the host resolved and checked first (resolveTarget), the connection
 * pinned to that address, no redirect followed, bounded in time. Never throws.
 */
export async function sendWebhook(
  url: string,
  body: string,
  headers: Record<string, string>,
  options: { allowPrivate: boolean; timeoutMs: number },
): Promise<AttemptResult> {
  const started = Date.now();
  const took = (): number => Date.now() - started;
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return { statusCode: null, error: "not a URL", durationMs: 0 };
  }
  let pinned: { address: string; family: 4 | 6 };
  try {
    pinned = await resolveTarget(target, options.allowPrivate);
  } catch (error) {
    if (error instanceof WebhookTargetError) return { statusCode: null, error: error.message, durationMs: took() };
    throw error;
  }
  const lookup: LookupFunction = (_hostname, lookupOptions, callback) => {
    if ((lookupOptions as { all?: boolean }).all === true) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [pinned]);
    } else {
      callback(null, pinned.address, pinned.family);
    }
  };
  const requestOptions: RequestOptions = {
    method: "POST",
    headers: { ...headers, "content-length": String(Buffer.byteLength(body)) },
    lookup,
    timeout: options.timeoutMs,
  };
  return new Promise<AttemptResult>((resolve) => {
    let settled = false;
    const done = (result: Omit<AttemptResult, "durationMs">): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      resolve({ ...result, durationMs: took() });
    };
    const send = target.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(target, requestOptions, (res) => {
      const status = res.statusCode ?? 0;
      let read = 0;
      res.on("data", (chunk: Buffer) => {
        read += chunk.length;
        if (read > MAX_ANSWER_BYTES) res.destroy();
      });
      const finish = (): void =>
        done({
          statusCode: status,
          error:
            status >= 200 && status < 300
              ? null
              : status >= 300 && status < 400
                ? `answered ${status}: redirects are not followed`
                : `answered ${status}`,
        });
      res.on("end", finish);
      res.on("close", finish);
      res.on("error", finish);
    });
    // The whole attempt, answer included, is bounded, not only the wait for a socket.
    const deadline = setTimeout(() => {
      req.destroy();
      done({ statusCode: null, error: `no answer within ${options.timeoutMs} ms` });
    }, options.timeoutMs);
    req.on("timeout", () => req.destroy(new Error(`no answer within ${options.timeoutMs} ms`)));
    req.on("error", (error: NodeJS.ErrnoException) => done({ statusCode: null, error: error.code ?? error.message }));
    req.end(body);
  });
}
