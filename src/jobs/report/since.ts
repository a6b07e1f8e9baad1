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
import { productHash, type SyncState } from "../../sync/state.js";
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

  constructor(
    private readonly state: SyncState,
    private readonly brandId: string,
  ) {
    this.previous = state.confirmedCount(brandId);
    const last = state.lastCompletedRun(brandId);
    this.previousRunAt = last ? (last.finishedAt ?? last.startedAt) : undefined;
  }

  readonly observe = (batch: readonly CheckedRecord[]): void => {
    for (const rec of batch) {
      const p = rec.product;
      if (p === undefined) continue;
      const hash = this.state.confirmedHash(this.brandId, p.sku);
      if (hash === undefined) {
        this.added++;
        continue;
      }
      this.matched++;
      if (hash === productHash(p)) {
        this.unchanged++;
        continue;
      }
      this.changed++;
      const old = parsePrice(this.state.confirmedPrice(this.brandId, p.sku));
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
