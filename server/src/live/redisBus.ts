import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { onReconnect } from "../redisReconnect.js";
import { RECENT_WINDOW_TTL_MS, type Channel, type LiveBus, type Unsubscribe } from "./liveBus.js";

/** Fan-out across server instances: Redis pub/sub for messages, a capped list per channel for recent windows. */
/** How long a publish made before the publisher's first connection waits for it. */
const FIRST_CONNECT_WAIT_MS = 2000;

export class RedisBus implements LiveBus {
  readonly kind = "redis";
  private readonly publisher: Redis;
  /** Settles once the publisher first connected (or FIRST_CONNECT_WAIT_MS passed). */
  private readonly firstReady: Promise<void>;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(message: unknown) => void>>();
  /** Per channel, the SUBSCRIBE in flight or done: a second subscriber waits for the same one. */
  private readonly subscribed = new Map<string, Promise<unknown>>();
  private readonly resumeListeners = new Set<() => void>();

  constructor(
    redisUrl: string,
    private readonly logger: Logger,
    private readonly prefix = "loadmgr:live:",
  ) {
    // While Redis is away, a publish fails at once rather than piling up in memory: the store has what
    // was published, and subscribers fill in from it when the connection is back (onResume).
    this.publisher = new Redis(redisUrl, { lazyConnect: false, enableOfflineQueue: false });
    // Before its first connection, a publish waits for it (briefly): only a lost connection fails at once.
    this.firstReady = new Promise<void>((resolve) => {
      this.publisher.once("ready", () => resolve());
      setTimeout(resolve, FIRST_CONNECT_WAIT_MS).unref();
    });
    this.subscriber = new Redis(redisUrl, { lazyConnect: false });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on("error", (error) => this.logger.error({ err: error }, "live fan-out connection error"));
    }
    // ioredis subscribes again by itself on reconnecting; what was published in between is gone,
    // and so is what the publisher could not send while it alone was away (an end of a run, say).
    const resume = (): void => {
      this.logger.warn({ listeners: this.resumeListeners.size }, "live fan-out reconnected: subscribers fill in");
      for (const listener of [...this.resumeListeners]) listener();
    };
    onReconnect(this.subscriber, resume);
    onReconnect(this.publisher, resume);
    this.subscriber.on("message", (channel: string, text: string) => {
      const set = this.listeners.get(channel.slice(this.prefix.length));
      if (set === undefined) return;
      let message: unknown;
      try {
        message = JSON.parse(text);
      } catch (error) {
        this.logger.error({ err: error, channel }, "live message is not JSON");
        return;
      }
      for (const listener of [...set]) listener(message);
    });
  }

  onResume(listener: () => void): () => void {
    this.resumeListeners.add(listener);
    return () => void this.resumeListeners.delete(listener);
  }

  async publish<T>(channel: Channel<T>, message: T): Promise<void> {
    await this.firstReady;
    await this.publisher.publish(this.prefix + channel, JSON.stringify(message));
  }

  async subscribe<T>(channel: Channel<T>, listener: (message: T) => void): Promise<Unsubscribe> {
    let set = this.listeners.get(channel);
    if (set === undefined) {
      set = new Set();
      this.listeners.set(channel, set);
      this.subscribed.set(channel, this.subscriber.subscribe(this.prefix + channel));
    }
    const wrapped = listener as (message: unknown) => void;
    set.add(wrapped);
    await this.subscribed.get(channel);
    return async () => {
      set.delete(wrapped);
      if (set.size === 0 && this.listeners.get(channel) === set) {
        this.listeners.delete(channel);
        this.subscribed.delete(channel);
        // Commands on one connection run in order: a later SUBSCRIBE to the channel comes after this.
        await this.subscriber.unsubscribe(this.prefix + channel);
      }
    };
  }

  async remember<T>(channel: Channel<T>, items: T[], keep: number): Promise<void> {
    if (items.length === 0) return;
    const key = `${this.prefix}recent:${channel}`;
    await this.publisher
      .multi()
      .rpush(key, ...items.map((item) => JSON.stringify(item)))
      .ltrim(key, -keep, -1)
      .pexpire(key, RECENT_WINDOW_TTL_MS)
      .exec();
  }

  async recent<T>(channel: Channel<T>): Promise<T[]> {
    const texts = await this.publisher.lrange(`${this.prefix}recent:${channel}`, 0, -1);
    return texts.map((text) => JSON.parse(text) as T);
  }

  async close(): Promise<void> {
    this.listeners.clear();
    this.subscribed.clear();
    await Promise.allSettled([this.subscriber.quit(), this.publisher.quit()]);
  }
}
