/**
 * Response-time histograms in Locust's own buckets (the keys of its StatsEntry.response_times:
 * whole milliseconds below 100 ms, then tens, hundreds, thousands). Merging interval histograms and
 * reading percentiles the way Locust does gives, for any window, exactly Locust's percentile.
 */

/** [bucket ms, count] pairs, ascending by bucket. */
export type HistogramPairs = [number, number][];

export class Histogram {
  private readonly counts = new Map<number, number>();

  static of(pairs: Iterable<readonly [number, number]>): Histogram {
    const histogram = new Histogram();
    histogram.addPairs(pairs);
    return histogram;
  }

  get size(): number {
    return this.counts.size;
  }

  add(bucketMs: number, count: number): void {
    if (count > 0) this.counts.set(bucketMs, (this.counts.get(bucketMs) ?? 0) + count);
  }

  addPairs(pairs: Iterable<readonly [number, number]>): void {
    for (const [bucketMs, count] of pairs) this.add(bucketMs, count);
  }

  merge(other: Histogram): void {
    for (const [bucketMs, count] of other.counts) this.add(bucketMs, count);
  }

  /** Adds a histogram packed by `packHistogram`, without building pairs. */
  addPacked(packed: Uint8Array): void {
    forEachPacked(packed, (bucketMs, count) => this.add(bucketMs, count));
  }

  toPairs(): HistogramPairs {
    return [...this.counts].sort((a, b) => a[0] - b[0]);
  }

  /**
   * Locust's `calculate_response_time_percentile`, for several percents with one sort: walking down
   * from the slowest bucket, the first bucket at which no more than `numRequests * percent` requests
   * remain. `numRequests` is the entry's request count (Locust's num_requests), which is what makes
   * the result equal Locust's.
   */
  percentiles<K extends string>(numRequests: number, percents: Record<K, number>): Record<K, number> {
    const buckets = [...this.counts.keys()].sort((a, b) => b - a);
    const result = {} as Record<K, number>;
    for (const key of Object.keys(percents) as K[]) {
      const wanted = Math.trunc(numRequests * percents[key]);
      let processed = 0;
      result[key] = 0;
      for (const bucketMs of buckets) {
        processed += this.counts.get(bucketMs) ?? 0;
        if (numRequests - processed <= wanted) {
          result[key] = bucketMs;
          break;
        }
      }
    }
    return result;
  }
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
export function packHistogram(pairs: Iterable<readonly [number, number]>): Uint8Array {
  const sorted = [...pairs].filter(([, count]) => count > 0).sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  let previous = 0;
  for (const [bucketMs, count] of sorted) {
    writeVarint(out, bucketMs - previous);
    writeVarint(out, count);
    previous = bucketMs;
  }
  return Uint8Array.from(out);
}
