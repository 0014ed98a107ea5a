import { createHmac, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { tokensEqual } from "../auth.js";
import type { Config } from "../config.js";

/**
 * Per-run ingest tokens: an HMAC of the run id, so a token opens one run only and nothing has to be
 * stored. Every server instance of a deployment must share the secret (`security.runTokenSecret`).
 */
export class RunTokens {
  constructor(
    private readonly secret: string,
    private readonly callbackToken: string | undefined,
  ) {}

  static fromConfig(config: Config): RunTokens {
    let secret = config.security.runTokenSecret;
    if (secret === undefined) {
      const path = join(config.storage.dataDir, "run-token-secret");
      if (existsSync(path)) secret = readFileSync(path, "utf-8").trim();
      if (secret === undefined || secret.length < 16) {
        mkdirSync(config.storage.dataDir, { recursive: true });
        secret = randomBytes(32).toString("base64url");
        writeFileSync(path, `${secret}\n`, { mode: 0o600 });
      }
    }
    return new RunTokens(secret, config.security.locustCallbackToken);
  }

  /** A key for another purpose (live tickets), derived from the same secret so every instance shares it. */
  derivedKey(purpose: string): Buffer {
    return createHmac("sha256", this.secret).update(`key:${purpose}`).digest();
  }

  /** The secret a pool run's workers carry in their Locust client ids: its master takes no one else's messages. */
  workerSecret(runId: string): string {
    return createHmac("sha256", this.secret).update(`workers:${runId}`).digest("hex").slice(0, 32);
  }

  issue(runId: string): string {
    return `lmr_${createHmac("sha256", this.secret).update(`run:${runId}`).digest("base64url")}`;
  }

  /** True for this run's own token, or for the deployment-wide Locust callback token. */
  allows(runId: string, token: string | undefined): boolean {
    if (token === undefined) return false;
    return (
      tokensEqual(token, this.issue(runId)) ||
      (this.callbackToken !== undefined && tokensEqual(token, this.callbackToken))
    );
  }
}
