/**
 * Bounded counters for the report's distributions.
 *
 * TopK is the space-saving sketch (Metwally et al.) with batched eviction: at most `2 × capacity`
 * keys are held; when that fills, the smaller half is dropped and the largest dropped count becomes
 * the floor a newly seen key starts from (its `error`). A reported count is never below the true
 * count and at most `error` above it; a key whose true count is above the floor is never lost.
 * Memory: O(capacity) keys of at most `maxKeyLength` characters, whatever the number of distinct
 * values in the feed.
 */

export interface TopEntry {
  value: string;
  /** Upper bound of the occurrences (exact when `error` is 0). */
  count: number;
  /** How much `count` may overstate (0: exact). */
  error: number;
}

export interface TopSummary {
  /** Values counted (every `add`). */
  total: number;
  /** Distinct values: exact while no key was ever evicted, else a lower bound. */
  distinct: number;
  /** True when `distinct` and the counts are exact (no eviction happened). */
  exact: boolean;
  top: TopEntry[];
}

export const DEFAULT_TOP_CAPACITY = 64;
export const MAX_KEY_LENGTH = 200;

export class TopK {
  private readonly counts = new Map<string, { count: number; error: number }>();
  private floor = 0;
  private total = 0;
  private evicted = false;

  constructor(
    readonly capacity = DEFAULT_TOP_CAPACITY,
    readonly maxKeyLength = MAX_KEY_LENGTH,
  ) {
    if (!(capacity >= 1)) throw new RangeError("TopK capacity must be at least 1");
  }

  /** Keys held now (never more than 2 × capacity). */
  get size(): number {
    return this.counts.size;
  }

  add(raw: string, n = 1): void {
    const key = raw.length > this.maxKeyLength ? `${raw.slice(0, this.maxKeyLength - 1)}…` : raw;
    this.total += n;
    const c = this.counts.get(key);
    if (c !== undefined) {
      c.count += n;
      return;
    }
    this.counts.set(key, { count: this.floor + n, error: this.floor });
    if (this.counts.size >= this.capacity * 2) this.evict();
  }

  private evict(): void {
    const entries = [...this.counts.entries()].sort((a, b) => b[1].count - a[1].count);
    for (let i = this.capacity; i < entries.length; i++) {
      const [key, c] = entries[i]!;
      if (c.count > this.floor) this.floor = c.count;
      this.counts.delete(key);
    }
    this.evicted = true;
  }

  summary(limit = 10): TopSummary {
    const top = [...this.counts.entries()]
      .sort((a, b) => b[1].count - a[1].count || (a[0] < b[0] ? -1 : 1))
      .slice(0, limit)
      .map(([value, c]) => ({ value, count: c.count, error: c.error }));
    return {
      total: this.total,
      // Eviction happened when 2 × capacity distinct keys were held: at least that many exist.
      distinct: this.evicted ? Math.max(this.capacity * 2, this.counts.size) : this.counts.size,
      exact: !this.evicted,
      top,
    };
  }
}

/**
 * Price histogram buckets (1-2-5 series): bucket i holds prices in [EDGES[i], EDGES[i+1]), the last
 * one everything from its edge up. Fixed, so any number of prices takes the same memory.
 */
export const PRICE_EDGES = [
  0, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000,
] as const;

export interface PriceSummary {
  currency: string;
  count: number;
  min: number;
  max: number;
  mean: number;
  /** Counts per bucket, same length as `edges`. */
  buckets: number[];
  edges: number[];
}

export class PriceHistogram {
  readonly buckets: number[] = PRICE_EDGES.map(() => 0);
  count = 0;
  min = Number.POSITIVE_INFINITY;
  max = Number.NEGATIVE_INFINITY;
  sum = 0;

  constructor(readonly currency: string) {}

  add(price: number): void {
    if (!Number.isFinite(price) || price < 0) return;
    let i = PRICE_EDGES.length - 1;
    while (i > 0 && price < PRICE_EDGES[i]!) i--;
    this.buckets[i]!++;
    this.count++;
    this.sum += price;
    if (price < this.min) this.min = price;
    if (price > this.max) this.max = price;
  }

  summary(): PriceSummary {
    return {
      currency: this.currency,
      count: this.count,
      min: this.count ? this.min : 0,
      max: this.count ? this.max : 0,
      mean: this.count ? Math.round((this.sum / this.count) * 100) / 100 : 0,
      buckets: [...this.buckets],
      edges: [...PRICE_EDGES],
    };
  }
}
