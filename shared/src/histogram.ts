/**
 * Response-time histograms in Locust's own buckets (the keys of its StatsEntry.response_times:
 * whole milliseconds below 100 ms, then tens, hundreds, thousands). Merging interval histograms and
 * reading percentiles the way Locust does gives, for any window, exactly Locust's percentile.
 */

/** [bucket ms, count] pairs, ascending by bucket. */
export type HistogramPairs = [number, number][];

/** Dense slots for Locust's own buckets up to 1,000 s; any other value is kept in a map. */
const DENSE_SLOTS = 1271;

/** The dense slot of a Locust bucket (ms < 100, tens < 1,000, hundreds < 10,000, thousands after), or -1. */
function slotOf(ms: number): number {
  if (ms < 100) return ms;
  if (ms < 1000) return ms % 10 === 0 ? 90 + ms / 10 : -1;
  if (ms < 10_000) return ms % 100 === 0 ? 180 + ms / 100 : -1;
  return ms % 1000 === 0 && ms <= 1_000_000 ? 270 + ms / 1000 : -1;
}

function msOf(slot: number): number {
  if (slot < 100) return slot;
  if (slot < 190) return (slot - 90) * 10;
  if (slot < 280) return (slot - 180) * 100;
  return (slot - 270) * 1000;
}

export class Histogram {
  /** Counts in Locust's buckets, allocated on first use; merging thousands of intervals is array adds. */
  private dense: Float64Array | undefined;
  private readonly sparse = new Map<number, number>();

  static of(pairs: Iterable<readonly [number, number]>): Histogram {
    const histogram = new Histogram();
    histogram.addPairs(pairs);
    return histogram;
  }

  add(bucketMs: number, count: number): void {
    if (count <= 0) return;
    const slot = Number.isInteger(bucketMs) ? slotOf(bucketMs) : -1;
    if (slot >= 0) {
      this.dense ??= new Float64Array(DENSE_SLOTS);
      this.dense[slot] = (this.dense[slot] ?? 0) + count;
    } else {
      this.sparse.set(bucketMs, (this.sparse.get(bucketMs) ?? 0) + count);
    }
  }

  addPairs(pairs: Iterable<readonly [number, number]>): void {
    for (const [bucketMs, count] of pairs) this.add(bucketMs, count);
  }

  merge(other: Histogram): void {
    if (other.dense !== undefined) {
      const dense = (this.dense ??= new Float64Array(DENSE_SLOTS));
      for (let slot = 0; slot < DENSE_SLOTS; slot++) dense[slot] = (dense[slot] ?? 0) + (other.dense[slot] ?? 0);
    }
    for (const [bucketMs, count] of other.sparse) this.add(bucketMs, count);
  }

  /** Adds a histogram packed by `packHistogram`, without building pairs (the graph's inner loop). */
  addPacked(packed: Uint8Array): void {
    const dense = (this.dense ??= new Float64Array(DENSE_SLOTS));
    const length = packed.length;
    let offset = 0;
    let bucketMs = 0;
    while (offset < length) {
      let byte = packed[offset++] as number;
      let delta = byte & 0x7f;
      for (let scale = 128; byte >= 0x80; scale *= 128) {
        byte = packed[offset++] as number;
        delta += (byte & 0x7f) * scale;
      }
      byte = packed[offset++] as number;
      let count = byte & 0x7f;
      for (let scale = 128; byte >= 0x80; scale *= 128) {
        byte = packed[offset++] as number;
        count += (byte & 0x7f) * scale;
      }
      bucketMs += delta;
      const slot = slotOf(bucketMs);
      if (slot >= 0) dense[slot] = (dense[slot] as number) + count;
      else if (count > 0) this.sparse.set(bucketMs, (this.sparse.get(bucketMs) ?? 0) + count);
    }
  }

  toPairs(): HistogramPairs {
    const pairs: HistogramPairs = [...this.sparse];
    if (this.dense !== undefined) {
      for (let slot = 0; slot < DENSE_SLOTS; slot++) {
        const count = this.dense[slot] ?? 0;
        if (count > 0) pairs.push([msOf(slot), count]);
      }
    }
    return pairs.sort((a, b) => a[0] - b[0]);
  }

  /**
   * Locust's `calculate_response_time_percentile`, for several percents at once: walking down
   * from the slowest bucket, the first bucket at which no more than `numRequests * percent` requests
   * remain. `numRequests` is the entry's request count (Locust's num_requests), which is what makes
   * the result equal Locust's.
   */
  percentiles<K extends string>(numRequests: number, percents: Record<K, number>): Record<K, number> {
    return percentilesOf(this.toPairs(), numRequests, percents);
  }
}

/** `Histogram.percentiles` over ascending pairs (a packed histogram unpacks to those). */
export function percentilesOf<K extends string>(
  ascending: HistogramPairs,
  numRequests: number,
  percents: Record<K, number>,
): Record<K, number> {
  const result = {} as Record<K, number>;
  for (const key of Object.keys(percents) as K[]) {
    const wanted = Math.trunc(numRequests * percents[key]);
    let processed = 0;
    result[key] = 0;
    for (let i = ascending.length - 1; i >= 0; i--) {
      const [bucketMs, count] = ascending[i] as [number, number];
      processed += count;
      if (numRequests - processed <= wanted) {
        result[key] = bucketMs;
        break;
      }
    }
  }
  return result;
}

function forEachPacked(packed: Uint8Array, visit: (bucketMs: number, count: number) => void): void {
  const reader = new VarintReader(packed);
  let bucketMs = 0;
  while (!reader.done) {
    bucketMs += reader.next();
    visit(bucketMs, reader.next());
  }
}

/** The pairs of a histogram packed by `packHistogram`. */
export function unpackHistogram(packed: Uint8Array): HistogramPairs {
  const pairs: HistogramPairs = [];
  forEachPacked(packed, (bucketMs, count) => pairs.push([bucketMs, count]));
  return pairs;
}

/** Reads unsigned LEB128 varints (7 bits a byte, low first; exact up to 2^53). */
export class VarintReader {
  offset = 0;
  constructor(private readonly bytes: Uint8Array) {}

  get done(): boolean {
    return this.offset >= this.bytes.length;
  }

  next(): number {
    let value = 0;
    let scale = 1;
    let byte: number;
    do {
      byte = this.bytes[this.offset++] ?? 0;
      value += (byte & 0x7f) * scale;
      scale *= 128;
    } while (byte >= 0x80);
    return value;
  }

  take(length: number): Uint8Array {
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

export function writeVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

/** A compact form for storage: per bucket, the varint gap from the previous bucket and the varint count. */
export function packHistogram(pairs: readonly (readonly [number, number])[]): Uint8Array {
  let sorted = pairs;
  for (let i = 1; i < pairs.length; i++) {
    if ((pairs[i] as [number, number])[0] < (pairs[i - 1] as [number, number])[0]) {
      sorted = [...pairs].sort((a, b) => a[0] - b[0]);
      break;
    }
  }
  // A varint of a value below 2^53 takes at most 8 bytes. Written inline: this is ingest's inner loop.
  const out = new Uint8Array(sorted.length * 16);
  let offset = 0;
  let previous = 0;
  for (const [bucketMs, count] of sorted) {
    if (count <= 0) continue;
    let rest = bucketMs - previous;
    while (rest >= 0x80) {
      out[offset++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    out[offset++] = rest;
    rest = count;
    while (rest >= 0x80) {
      out[offset++] = (rest % 0x80) | 0x80;
      rest = Math.floor(rest / 0x80);
    }
    out[offset++] = rest;
    previous = bucketMs;
  }
  return out.slice(0, offset);
}
