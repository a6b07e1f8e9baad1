/**
 * The diff's spill to disk: a temporary SQLite database (better-sqlite3) holding both catalogs,
 * one table per side keyed by SKU, so two 1M-product feeds are joined without holding either in
 * memory. The page cache is capped (`cache_size`), the journal is off (the file is scratch), and
 * everything is removed on `close()`.
 *
 *   old / new (sku PRIMARY KEY, line, idx, valid, data)   data: valid → JSON array of the product's
 *                                                       fields in PRODUCT_FIELDS order; invalid →
 *                                                       the record's error codes
 *   moves (sku, old, new, delta, pct)                 price moves (a second file: it is written
 *                                                       while the join is being read)
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { PRODUCT_FIELDS } from "../../../schemas/product.js";
import { FeedpipeError } from "../../core/errors.js";
import type { CheckedRecord } from "../../jobs/pipeline.js";

export type Side = "old" | "new";

export interface JoinedRow {
  sku: string;
  oline: number | null;
  ovalid: number | null;
  odata: string | null;
  nline: number | null;
  nvalid: number | null;
  ndata: string | null;
}

export interface PriceMove {
  sku: string;
  old: number;
  new: number;
  delta: number;
  pct: number | null;
  currency: string;
}

/** Page cache per connection, in KiB (negative cache_size means KiB in SQLite). */
const CACHE_KIB = 8 * 1024;

function open(path: string): Database.Database {
  const db = new Database(path);
  db.pragma("journal_mode = OFF");
  db.pragma("synchronous = OFF");
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.pragma("temp_store = FILE");
  return db;
}

export class DiffStore {
  private readonly dir: string;
  private readonly db: Database.Database;
  private readonly movesDb: Database.Database;
  private readonly inserts: Record<Side, Database.Statement<[string, number | null, number, number, string]>>;
  private readonly insertMove: Database.Statement<[string, number, number, number, number | null, string]>;
  private closed = false;
  /** Records that were not stored because their SKU was already in the table (or had none). */
  readonly duplicates: Record<Side, number> = { old: 0, new: 0 };
  readonly noSku: Record<Side, number> = { old: 0, new: 0 };

  constructor(tempDir: string = tmpdir()) {
    try {
      this.dir = mkdtempSync(join(tempDir, "feedpipe-diff-"));
      this.db = open(join(this.dir, "catalogs.db"));
      this.movesDb = open(join(this.dir, "moves.db"));
    } catch (err) {
      throw new FeedpipeError(
        "IO_WRITE",
        `Could not create the diff's temporary database in ${tempDir}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    for (const side of ["old", "new"] as const) {
      this.db.exec(
        `CREATE TABLE ${side} (sku TEXT PRIMARY KEY, line INTEGER, idx INTEGER NOT NULL, valid INTEGER NOT NULL, data TEXT NOT NULL) WITHOUT ROWID`,
      );
    }
    this.inserts = {
      old: this.db.prepare("INSERT OR IGNORE INTO old (sku, line, idx, valid, data) VALUES (?, ?, ?, ?, ?)"),
      new: this.db.prepare("INSERT OR IGNORE INTO new (sku, line, idx, valid, data) VALUES (?, ?, ?, ?, ?)"),
    };
    this.movesDb.exec(
      "CREATE TABLE moves (sku TEXT NOT NULL, old REAL NOT NULL, new REAL NOT NULL, delta REAL NOT NULL, pct REAL, currency TEXT NOT NULL)",
    );
    this.insertMove = this.movesDb.prepare(
      "INSERT INTO moves (sku, old, new, delta, pct, currency) VALUES (?, ?, ?, ?, ?, ?)",
    );
    this.movesDb.exec("BEGIN");
  }

  /** Store one batch of one side, in one transaction. The first record of a SKU wins. */
  add(side: Side, batch: readonly CheckedRecord[]): void {
    const ins = this.inserts[side];
    const tx = this.db.transaction((rows: readonly CheckedRecord[]) => {
      for (const c of rows) {
        if (c.sku === undefined) {
          this.noSku[side]++;
          continue;
        }
        const p = c.product;
        const data =
          p !== undefined
            ? JSON.stringify(PRODUCT_FIELDS.map((f) => p[f] ?? null))
            : [...new Set(c.issues.filter((i) => i.severity === "error").map((i) => i.code))].join(", ");
        const r = ins.run(c.sku, c.line ?? null, c.index, p !== undefined ? 1 : 0, data);
        if (r.changes === 0) this.duplicates[side]++;
      }
    });
    tx(batch);
  }

  /** Valid products stored for a side (distinct SKUs). */
  validCount(side: Side): number {
    return (this.db.prepare(`SELECT count(*) AS n FROM ${side} WHERE valid = 1`).get() as { n: number }).n;
  }

  /**
   * Both sides joined by SKU: old in SKU order (with its match in new, if any), then the SKUs only
   * in new, in SKU order. Read lazily (one row at a time).
   */
  joined(): IterableIterator<JoinedRow> {
    return this.db
      .prepare(
        "SELECT o.sku AS sku, o.line AS oline, o.valid AS ovalid, o.data AS odata, n.line AS nline, n.valid AS nvalid, n.data AS ndata " +
          "FROM old o LEFT JOIN new n ON n.sku = o.sku " +
          "UNION ALL SELECT n.sku, NULL, NULL, NULL, n.line, n.valid, n.data FROM new n WHERE NOT EXISTS (SELECT 1 FROM old o WHERE o.sku = n.sku)",
      )
      .iterate() as IterableIterator<JoinedRow>;
  }

  addMove(m: PriceMove): void {
    this.insertMove.run(m.sku, m.old, m.new, m.delta, m.pct, m.currency);
  }

  /** Up / down counts, the median change (amount and percent) and the largest moves by percent. */
  moves(largest = 10): {
    up: number;
    down: number;
    medianDelta: number | undefined;
    medianPct: number | undefined;
    largest: PriceMove[];
  } {
    const m = this.movesDb;
    if (m.inTransaction) {
      m.exec("COMMIT");
      m.exec("CREATE INDEX moves_delta ON moves (delta); CREATE INDEX moves_pct ON moves (pct)");
    }
    const c = m
      .prepare("SELECT sum(delta > 0) AS up, sum(delta < 0) AS down, count(*) AS n FROM moves")
      .get() as {
      up: number | null;
      down: number | null;
      n: number;
    };
    const median = (col: "delta" | "pct"): number | undefined => {
      const n = (m.prepare(`SELECT count(*) AS n FROM moves WHERE ${col} IS NOT NULL`).get() as { n: number })
        .n;
      if (n === 0) return undefined;
      const at = (k: number) =>
        (
          m
            .prepare(
              `SELECT ${col} AS v FROM moves WHERE ${col} IS NOT NULL ORDER BY ${col} LIMIT 1 OFFSET ?`,
            )
            .get(k) as { v: number }
        ).v;
      return n % 2 === 1 ? at((n - 1) / 2) : (at(n / 2 - 1) + at(n / 2)) / 2;
    };
    const top = m
      .prepare(
        "SELECT sku, old, new, delta, pct, currency FROM moves ORDER BY abs(coalesce(pct, 1e300)) DESC, abs(delta) DESC, sku LIMIT ?",
      )
      .all(largest) as PriceMove[];
    return {
      up: c.up ?? 0,
      down: c.down ?? 0,
      medianDelta: median("delta"),
      medianPct: median("pct"),
      largest: top,
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.db.close();
      this.movesDb.close();
    } finally {
      rmSync(this.dir, { recursive: true, force: true });
    }
  }
}
