/**
 * "Since the last run": a push's valid products compared with the last confirmed sync state, as
 * the push reads them (one `observe` per batch, before the batch is sent). Per product one or two
 * point look-ups in the state; memory is a handful of counters.
 *
 *   added     SKU without a confirmation         unchanged  same content hash
 *   changed   content hash differs               removed    confirmed before, not a valid product now
 *   price changes: changed products whose recorded price ("12.5 EUR") differs in amount, same currency
 */
import type { CheckedRecord } from "../../jobs/pipeline.js";
import { productHash } from "../../sync/state.js";
import { hashMatches, type SyncStore } from "../../sync/store.js";
import type { SinceLastRun } from "./model.js";

export class SinceTracker {
  private readonly previous: number;
  private readonly previousRunAt: string | undefined;
  private matched = 0;
  private added = 0;
  private changed = 0;
  private unchanged = 0;
  private priceChanges = 0;
  private priceUp = 0;
  private priceDown = 0;
  private priceUnknown = 0;

  private constructor(
    private readonly state: SyncStore,
    private readonly brandId: string,
    previous: number,
    previousRunAt: string | undefined,
  ) {
    this.previous = previous;
    this.previousRunAt = previousRunAt;
  }

  /** A tracker over the state as it is before the push starts. */
  static async open(state: SyncStore, brandId: string): Promise<SinceTracker> {
    const previous = await state.confirmedCount(brandId);
    const last = await state.lastCompletedRun(brandId);
    return new SinceTracker(state, brandId, previous, last ? (last.finishedAt ?? last.startedAt) : undefined);
  }

  readonly observe = async (batch: readonly CheckedRecord[]): Promise<void> => {
    for (const rec of batch) {
      const p = rec.product;
      if (p === undefined) continue;
      const hash = await this.state.confirmedHash(this.brandId, p.sku);
      if (hash === undefined) {
        this.added++;
        continue;
      }
      this.matched++;
      if (hashMatches(hash, productHash(p))) {
        this.unchanged++;
        continue;
      }
      this.changed++;
      const old = parsePrice(await this.state.confirmedPrice(this.brandId, p.sku));
      if (old === undefined) {
        this.priceUnknown++;
      } else if (old.currency === p.currency && old.amount !== p.price) {
        this.priceChanges++;
        if (p.price > old.amount) this.priceUp++;
        else this.priceDown++;
      }
    }
  };

  summary(): SinceLastRun {
    const s: SinceLastRun = {
      previous: this.previous,
      added: this.added,
      removed: Math.max(0, this.previous - this.matched),
      changed: this.changed,
      unchanged: this.unchanged,
      priceChanges: this.priceChanges,
      priceUp: this.priceUp,
      priceDown: this.priceDown,
      priceUnknown: this.priceUnknown,
    };
    if (this.previousRunAt !== undefined) s.previousRunAt = this.previousRunAt;
    return s;
  }
}

function parsePrice(text: string | undefined): { amount: number; currency: string } | undefined {
  if (text === undefined) return undefined;
  const m = /^(\S+) ([A-Z]{3})$/.exec(text);
  if (!m) return undefined;
  const amount = Number(m[1]);
  return Number.isFinite(amount) ? { amount, currency: m[2]! } : undefined;
}
