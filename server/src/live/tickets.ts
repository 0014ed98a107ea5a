import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import type { Principal } from "../auth.js";

/** Long enough to open a stream after asking for it; too short to be worth stealing from a log. */
export const TICKET_TTL_MS = 30_000;

interface TicketBody {
  principal: Principal;
  expiresAt: number;
  nonce: string;
}

/**
 * Short-lived, single-use tickets that stand for a token where a client cannot send headers (a
 * browser's EventSource puts everything in the URL): the long-lived token never lands in an access
 * log or a proxy's. Signed, so any server instance sharing the secret can redeem one; each instance
 * remembers the ones it took, so a ticket opens at most one stream per instance.
 */
export class LiveTickets {
  private readonly used = new Map<string, number>();

  constructor(
    private readonly key: Buffer,
    private readonly now: () => number,
  ) {}

  issue(principal: Principal): { ticket: string; expiresAt: number } {
    const expiresAt = this.now() + TICKET_TTL_MS;
    const body = Buffer.from(JSON.stringify({ principal, expiresAt, nonce: randomBytes(16).toString("base64url") }));
    return { ticket: `lmt_${body.toString("base64url")}.${this.sign(body)}`, expiresAt };
  }

  /** The principal the ticket stands for, once; undefined for a forged, expired or used one. */
  redeem(ticket: string): Principal | undefined {
    const match = /^lmt_([\w-]+)\.([\w-]+)$/.exec(ticket);
    if (match === null) return undefined;
    const body = Buffer.from(match[1] ?? "", "base64url");
    const given = Buffer.from(match[2] ?? "", "base64url");
    const expected = Buffer.from(this.sign(body), "base64url");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    const { principal, expiresAt, nonce } = JSON.parse(body.toString()) as TicketBody;
    const now = this.now();
    for (const [seen, until] of this.used) if (until < now) this.used.delete(seen);
    if (expiresAt < now || this.used.has(nonce)) return undefined;
    this.used.set(nonce, expiresAt);
    return principal;
  }

  private sign(body: Buffer): string {
    return createHmac("sha256", this.key).update(body).digest("base64url");
  }
}
