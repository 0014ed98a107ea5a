import { AppError } from "./errors.js";

export interface ClientLimitSettings {
  /** Heavy reads (windows read snapshot by snapshot, exports) one token may have under way at once. */
  heavyQueriesPerToken: number;
  /** Live subscriptions one token may hold open across all its connections. */
  subscriptionsPerToken: number;
  /** Live subscriptions one WebSocket may carry. */
  subscriptionsPerConnection: number;
}

/** A connection's own count of open subscriptions (one per WebSocket; an SSE request is its own). */
export interface ConnectionCounter {
  subscriptions: number;
}

/**
 * What one client may hold at once, so that no token can take the server for itself: counted per
 * token (by its principal's name) and per connection; over a limit is a 429 with a stable code.
 */
export class ClientLimits {
  private readonly heavy = new Map<string, number>();
  private readonly subscriptions = new Map<string, number>();

  constructor(readonly settings: ClientLimitSettings) {}

  /** Live subscriptions open now, over every token. */
  openSubscriptions(): number {
    let open = 0;
    for (const held of this.subscriptions.values()) open += held;
    return open;
  }

  /** Runs `work` as one of the token's heavy reads, or refuses it when the token has too many under way. */
  async heavyQuery<T>(who: string, work: () => Promise<T>): Promise<T> {
    const under = this.heavy.get(who) ?? 0;
    if (under >= this.settings.heavyQueriesPerToken) {
      throw new AppError(
        "TOO_MANY_HEAVY_QUERIES",
        `this token already has ${under} heavy queries under way (at most ${this.settings.heavyQueriesPerToken}); wait for them`,
      );
    }
    this.heavy.set(who, under + 1);
    try {
      return await work();
    } finally {
      release(this.heavy, who);
    }
  }

  /** Takes one subscription slot for the token and the connection; the returned function gives it back. */
  subscribe(who: string, connection: ConnectionCounter | undefined): () => void {
    const { subscriptionsPerConnection, subscriptionsPerToken } = this.settings;
    if (connection !== undefined && connection.subscriptions >= subscriptionsPerConnection) {
      throw new AppError(
        "TOO_MANY_SUBSCRIPTIONS",
        `this connection already carries ${connection.subscriptions} subscriptions (at most ${subscriptionsPerConnection})`,
      );
    }
    const held = this.subscriptions.get(who) ?? 0;
    if (held >= subscriptionsPerToken) {
      throw new AppError(
        "TOO_MANY_SUBSCRIPTIONS",
        `this token already holds ${held} subscriptions (at most ${subscriptionsPerToken})`,
      );
    }
    this.subscriptions.set(who, held + 1);
    if (connection !== undefined) connection.subscriptions += 1;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      release(this.subscriptions, who);
      if (connection !== undefined) connection.subscriptions -= 1;
    };
  }
}

function release(counts: Map<string, number>, who: string): void {
  const left = (counts.get(who) ?? 1) - 1;
  if (left > 0) counts.set(who, left);
  else counts.delete(who);
}
