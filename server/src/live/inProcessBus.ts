import { RECENT_WINDOW_TTL_MS, type Channel, type LiveBus, type Unsubscribe } from "./liveBus.js";

/** One process's fan-out: listeners are called synchronously, in publish order. */
export class InProcessBus implements LiveBus {
  readonly kind = "in-process";
  private readonly listeners = new Map<string, Set<(message: unknown) => void>>();
  private readonly windows = new Map<string, { items: unknown[]; touchedAt: number }>();
  private prunedAt = 0;

  constructor(private readonly now: () => number = Date.now) {}

  /** Nothing is ever lost in one process. */
  onResume(): () => void {
    return () => undefined;
  }

  async publish<T>(channel: Channel<T>, message: T): Promise<void> {
    // A listener added by another listener waits for the next message, as with Redis.
    for (const listener of [...(this.listeners.get(channel) ?? [])]) listener(message);
    return Promise.resolve();
  }

  async subscribe<T>(channel: Channel<T>, listener: (message: T) => void): Promise<Unsubscribe> {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
    }
    const wrapped = listener as (message: unknown) => void;
    set.add(wrapped);
    return Promise.resolve(async () => {
      set.delete(wrapped);
      if (set.size === 0 && this.listeners.get(channel) === set) this.listeners.delete(channel);
      return Promise.resolve();
    });
  }

  async remember<T>(channel: Channel<T>, items: T[], keep: number): Promise<void> {
    const now = this.now();
    // Forgetting old windows walks all of them: once a minute, not on every ingest.
    if (now - this.prunedAt > 60_000) {
      this.prunedAt = now;
      for (const [name, window] of this.windows) {
        if (now - window.touchedAt > RECENT_WINDOW_TTL_MS) this.windows.delete(name);
      }
    }
    const window = this.windows.get(channel) ?? { items: [], touchedAt: now };
    window.items.push(...items);
    if (window.items.length > keep) window.items.splice(0, window.items.length - keep);
    window.touchedAt = now;
    this.windows.set(channel, window);
    return Promise.resolve();
  }

  async recent<T>(channel: Channel<T>): Promise<T[]> {
    return Promise.resolve([...((this.windows.get(channel)?.items ?? []) as T[])]);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.windows.clear();
    return Promise.resolve();
  }
}
