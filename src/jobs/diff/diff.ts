/**
 * Diff two feeds: both are read, mapped and validated like `validate` (each may be in another
 * format, with its own detected preset), spilled to a temporary SQLite database by SKU
 * (./store.ts), then joined and compared field by field on the normalised product values.
 *
 *   added      a valid product in new whose SKU is not a valid product in old
 *   removed    a valid product in old whose SKU is not in new
 *   invalid    a valid product in old whose record in new is rejected (field: the error codes)
 *   changed    valid on both sides, some field differs (one change row per field)
 *   unchanged  valid on both sides, every field equal
 *
 * Memory: one batch at a time per side plus SQLite's capped page cache; changes stream out in
 * chunks (`onChanges`), and only the first `maxExamples` are kept for the report. Duplicate SKUs
 * are found by the table's key (the first record of a SKU is compared, later ones are counted), so
 * the pipeline should run without its in-memory duplicate check (`dedupe: false`).
 */
import { PRODUCT_FIELDS } from "../../../schemas/product.js";
import type { ProcessedFeed } from "../../jobs/pipeline.js";
import { DiffStore, type JoinedRow, type PriceMove, type Side } from "./store.js";
import { throwIfAborted } from "../../core/abort.js";

export type ChangeKind = "added" | "removed" | "changed" | "invalid";

export interface Change {
  sku: string;
  change: ChangeKind;
  /** The changed field (change "changed"); "" for added, removed and invalid. */
  field: string;
  old: string;
  /** The new value; for "invalid" the rejected record's error codes. */
  new: string;
}

export interface DiffSide {
  source: string;
  format: string;
  preset: string;
  read: number;
  records: number;
  /** Valid products compared (distinct SKUs: a later record of a SKU is a duplicate, not compared). */
  valid: number;
  invalid: number;
  skipped: number;
  /** Records without a SKU (cannot be joined). */
  noSku: number;
  /** Later records of a SKU already seen (the first one is compared). */
  duplicates: number;
}

export interface DiffResult {
  old: DiffSide;
  new: DiffSide;
  added: number;
  removed: number;
  changed: number;
  unchanged: number;
  /** Valid in old, rejected in new. */
  invalid: number;
  /** Change rows (one per changed field, one per added / removed / invalid product). */
  changes: number;
  fields: { field: string; changed: number }[];
  prices: {
    moves: number;
    up: number;
    down: number;
    medianDelta: number | undefined;
    medianPct: number | undefined;
    largest: PriceMove[];
    /** Changed products whose currency changed (their price is not a move). */
    currencyChanges: number;
  };
  examples: Change[];
  differences: boolean;
}

export interface DiffOptions {
  /** Open and start the pipeline for one side (called for old, then new). */
  open: (side: Side) => Promise<ProcessedFeed>;
  /** Change rows in order, in chunks (the CSV). */
  onChanges?: ((rows: Change[]) => Promise<void>) | undefined;
  /** Each batch of checked records of a side, as read (progress). */
  onBatch?: ((side: Side, records: number) => void) | undefined;
  signal?: AbortSignal | undefined;
  maxExamples?: number | undefined;
  tempDir?: string | undefined;
}

const PRICE = PRODUCT_FIELDS.indexOf("price");
const CURRENCY = PRODUCT_FIELDS.indexOf("currency");
const CHUNK = 2000;

type Cell = string | number | null;

function text(v: Cell | undefined): string {
  return v === null || v === undefined ? "" : String(v);
}

function aborted(signal: AbortSignal | undefined, what: string): void {
  throwIfAborted(signal, `diff was interrupted while ${what}`);
}

async function load(store: DiffStore, side: Side, o: DiffOptions): Promise<DiffSide> {
  const feed = await o.open(side);
  for await (const batch of feed.records) {
    aborted(o.signal, `reading the ${side} feed`);
    store.add(side, batch);
    o.onBatch?.(side, batch.length);
  }
  const r = feed.report();
  return {
    source: r.source,
    format: r.format,
    preset: r.preset,
    read: r.read,
    records: r.records,
    valid: store.validCount(side),
    invalid: r.invalid,
    skipped: r.skipped,
    noSku: store.noSku[side],
    duplicates: store.duplicates[side],
  };
}

export async function diffFeeds(o: DiffOptions): Promise<DiffResult> {
  const store = new DiffStore(o.tempDir);
  try {
    const oldSide = await load(store, "old", o);
    const newSide = await load(store, "new", o);
    const maxExamples = o.maxExamples ?? 1000;
    const fieldCounts = PRODUCT_FIELDS.map(() => 0);
    const res = {
      added: 0,
      removed: 0,
      changed: 0,
      unchanged: 0,
      invalid: 0,
      changes: 0,
      currencyChanges: 0,
      moves: 0,
    };
    const examples: Change[] = [];
    let pending: Change[] = [];
    const emit = (c: Change) => {
      res.changes++;
      if (examples.length < maxExamples) examples.push(c);
      if (o.onChanges) pending.push(c);
    };
    const flush = async () => {
      if (pending.length === 0 || !o.onChanges) return;
      const rows = pending;
      pending = [];
      await o.onChanges(rows);
    };

    const compare = (row: JoinedRow) => {
      const oldValid = row.ovalid === 1;
      const newValid = row.nvalid === 1;
      if (oldValid && row.nvalid === null) {
        res.removed++;
        emit({ sku: row.sku, change: "removed", field: "", old: "", new: "" });
      } else if (oldValid && !newValid) {
        res.invalid++;
        emit({ sku: row.sku, change: "invalid", field: "", old: "", new: row.ndata ?? "" });
      } else if (!oldValid && newValid) {
        res.added++;
        emit({ sku: row.sku, change: "added", field: "", old: "", new: "" });
      } else if (oldValid && newValid) {
        if (row.odata === row.ndata) {
          res.unchanged++;
          return;
        }
        const a = JSON.parse(row.odata!) as Cell[];
        const b = JSON.parse(row.ndata!) as Cell[];
        let any = false;
        for (let i = 0; i < PRODUCT_FIELDS.length; i++) {
          if (a[i] === b[i]) continue;
          any = true;
          fieldCounts[i]!++;
          emit({
            sku: row.sku,
            change: "changed",
            field: PRODUCT_FIELDS[i]!,
            old: text(a[i]),
            new: text(b[i]),
          });
        }
        if (!any) {
          res.unchanged++;
          return;
        }
        res.changed++;
        const op = a[PRICE];
        const np = b[PRICE];
        if (a[CURRENCY] !== b[CURRENCY]) res.currencyChanges++;
        else if (typeof op === "number" && typeof np === "number" && op !== np) {
          res.moves++;
          store.addMove({
            sku: row.sku,
            old: op,
            new: np,
            delta: np - op,
            pct: op > 0 ? ((np - op) / op) * 100 : null,
            currency: text(b[CURRENCY]),
          });
        }
      }
    };

    for (const row of store.joined()) {
      compare(row);
      if (pending.length >= CHUNK) {
        aborted(o.signal, "comparing the feeds");
        await flush();
      }
    }
    await flush();
    const mv = store.moves();
    return {
      old: oldSide,
      new: newSide,
      added: res.added,
      removed: res.removed,
      changed: res.changed,
      unchanged: res.unchanged,
      invalid: res.invalid,
      changes: res.changes,
      fields: PRODUCT_FIELDS.map((field, i) => ({ field, changed: fieldCounts[i]! }))
        .filter((f) => f.changed > 0)
        .sort((x, y) => y.changed - x.changed),
      prices: { moves: res.moves, currencyChanges: res.currencyChanges, ...mv },
      examples,
      differences: res.changes > 0,
    };
  } finally {
    store.close();
  }
}
