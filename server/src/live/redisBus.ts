import { Redis } from "ioredis";
import type { Logger } from "../logger.js";
import { RECENT_WINDOW_TTL_MS, type Channel, type LiveBus, type Unsubscribe } from "./liveBus.js";

/** Fan-out across server instances: Redis pub/sub for messages, a capped list per channel for recent windows. */
export class RedisBus implements LiveBus {
  readonly kind = "redis";
  private readonly publisher: Redis;
  private readonly subscriber: Redis;
  private readonly listeners = new Map<string, Set<(message: unknown) => void>>();
  /** Per channel, the SUBSCRIBE in flight or done: a second subscriber waits for the same one. */
  private readonly subscribed = new Map<string, Promise<unknown>>();

  constructor(
    redisUrl: string,
    private readonly logger: Logger,
    private readonly prefix = "loadmgr:live:",
  ) {
    this.publisher = new Redis(redisUrl, { lazyConnect: false });
    this.subscriber = new Redis(redisUrl, { lazyConnect: false });
    for (const connection of [this.publisher, this.subscriber]) {
      connection.on("error", (error) => this.logger.error({ err: error }, "live fan-out connection error"));
    }
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

  async publish<T>(channel: Channel<T>, message: T): Promise<void> {
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
