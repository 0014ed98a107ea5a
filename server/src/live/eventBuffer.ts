/** What a subscription has received but not yet sent; it ends when told to, when aborted, or on overflow. */
export class EventBuffer<T> {
  private readonly items: T[] = [];
  private wake: (() => void) | undefined;
  private ended = false;
  overflowed = false;

  /** `limit`: a subscriber this far behind is cut off (it resumes from the store with lastEventId). */
  constructor(private readonly limit = 10_000) {}

  push(item: T): void {
    if (this.ended) return;
    if (this.items.length >= this.limit) {
      this.overflowed = true;
      this.end();
      return;
    }
    this.items.push(item);
    this.wake?.();
  }

  end(): void {
    this.ended = true;
    this.wake?.();
  }

  /** Items in arrival order until `end()` (after the ones already in) or `signal` aborts. */
  async *drain(signal: AbortSignal | undefined): AsyncGenerator<T> {
    const onAbort = (): void => this.wake?.();
    signal?.addEventListener("abort", onAbort);
    try {
      for (;;) {
        const item = this.items.shift();
        if (item !== undefined) {
          yield item;
          continue;
        }
        if (this.ended || signal?.aborted === true) return;
        await new Promise<void>((resolve) => (this.wake = resolve));
        this.wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", onAbort);
    }
  }
}
