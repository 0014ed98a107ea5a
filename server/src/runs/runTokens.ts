import { createHmac } from "node:crypto";
import { keptSecret } from "../keptSecret.js";
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
    const secret = keptSecret(config, config.security.runTokenSecret, "run-token-secret").value;
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

  /**
   * What a pool run's worker side shows the server's relay to reach its master (agents/workerRelay.ts):
   * it opens that and nothing else (a worker side never gets the ingest token).
   */
  relayToken(runId: string): string {
    return `lmw_${createHmac("sha256", this.secret).update(`relay:${runId}`).digest("base64url")}`;
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
