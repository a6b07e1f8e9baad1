/**
 * Sync state in an embedded SQLite database (better-sqlite3, WAL mode).
 *
 *   products(endpoint, brand_id, sku, hash, confirmed_at, price)   the last content the network
 *                                                  CONFIRMED (price: "12.5 EUR", for the push report's diff)
 *   runs(id, brand_id, endpoint, started_at, finished_at, status, read, valid, invalid, sent, …)
 *
 * Keyed by endpoint too (the API URL pushed to, without query): a push to a staging endpoint says
 * nothing about what production has, so the same brand id on another endpoint starts from nothing.
 * Databases from before the endpoint column are migrated on first writable open: their rows get
 * the endpoint "" (unknown), which only a state opened without an endpoint matches; a push to a
 * named endpoint then sends everything once (harmless: the network upserts by SKU). Their runs
 * still count as the publish gate's baseline for every endpoint (the safe side).
 *
 * A product row is written only after the server confirmed the product. Confirmations are buffered
 * and written in one transaction per `flushEvery` confirmations (and on `flush()`/`close()`): a crash
 * (kill -9) loses at most the buffered confirmations, whose products are then sent again on the
 * next run (the network upserts by SKU, so that is harmless); it never marks an unsent product sent.
 *
 * Nothing secret is stored: brand ids, SKUs, content hashes, times and counts only.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import { FeedpipeError } from "../core/errors.js";

export type RunStatus = "running" | "ok" | "partial" | "failed" | "gated" | "aborted";

export interface RunCounts {
  read: number;
  valid: number;
  invalid: number;
  sent: number;
  unchanged: number;
  failed: number;
}

export interface RunRow extends RunCounts {
  id: number;
  brandId: string;
  startedAt: string;
  finishedAt: string | undefined;
  status: RunStatus;
}

export interface OpenStateOptions {
  /** Confirmations buffered before one write transaction (default 100). */
  flushEvery?: number | undefined;
  /** Open an existing database read-only (dry runs); a missing file gives an empty state. */
  readonly?: boolean | undefined;
  /** The API endpoint this state is for (see endpointKey); default "" (none named). */
  endpoint?: string | undefined;
}

/** The state key of an API URL: scheme, host and path (no credentials, query or trailing slash). */
export function endpointKey(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host.toLowerCase()}${u.pathname.replace(/\/+$/, "")}`;
  } catch {
    return url;
  }
}

/** A JSON text with object keys sorted at every level, so equal content always hashes equal. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(",")}]`;
  const obj = value as Record<string, unknown>;
  const keys = Object.keys(obj)
    .filter((k) => obj[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(",")}}`;
}

/** Content hash of a product: sha256 hex of its canonical JSON. */
export function productHash(product: object): string {
  return createHash("sha256").update(canonicalJson(product)).digest("hex");
}

const PRODUCTS_TABLE = `
CREATE TABLE IF NOT EXISTS products (
  endpoint TEXT NOT NULL DEFAULT '',
  brand_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  hash TEXT NOT NULL,
  confirmed_at TEXT NOT NULL,
  price TEXT,
  PRIMARY KEY (endpoint, brand_id, sku)
) WITHOUT ROWID;`;

const SCHEMA = `${PRODUCTS_TABLE}
CREATE TABLE IF NOT EXISTS runs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  brand_id TEXT NOT NULL,
  endpoint TEXT NOT NULL DEFAULT '',
  started_at TEXT NOT NULL,
  finished_at TEXT,
  status TEXT NOT NULL,
  read INTEGER NOT NULL DEFAULT 0,
  valid INTEGER NOT NULL DEFAULT 0,
  invalid INTEGER NOT NULL DEFAULT 0,
  sent INTEGER NOT NULL DEFAULT 0,
  unchanged INTEGER NOT NULL DEFAULT 0,
  failed INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS runs_brand ON runs (brand_id, id);
`;

function hasColumn(db: Database.Database, table: string, column: string): boolean {
  const cols = db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[];
  return cols.some((c) => c.name === column);
}

/** Bring a database from before the endpoint column up to date (one transaction). */
function migrate(db: Database.Database): void {
  const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as {
    name: string;
  }[];
  const names = new Set(tables.map((t) => t.name));
  db.transaction(() => {
    if (names.has("products") && !hasColumn(db, "products", "endpoint")) {
      db.exec("ALTER TABLE products RENAME TO products_v1");
      db.exec(PRODUCTS_TABLE);
      db.exec(
        "INSERT INTO products (endpoint, brand_id, sku, hash, confirmed_at) " +
          "SELECT '', brand_id, sku, hash, confirmed_at FROM products_v1",
      );
      db.exec("DROP TABLE products_v1");
    }
    // Older state files: the price column (nullable; earlier confirmations have no price).
    if (!hasColumn(db, "products", "price") && names.has("products")) {
      db.exec("ALTER TABLE products ADD COLUMN price TEXT");
    }
    if (names.has("runs") && !hasColumn(db, "runs", "endpoint")) {
      db.exec("ALTER TABLE runs ADD COLUMN endpoint TEXT NOT NULL DEFAULT ''");
    }
    db.exec(SCHEMA);
  })();
}

interface RawRun {
  id: number;
  brand_id: string;
  started_at: string;
  finished_at: string | null;
  status: string;
  read: number;
  valid: number;
  invalid: number;
  sent: number;
  unchanged: number;
  failed: number;
}

function toRun(r: RawRun): RunRow {
  return {
    id: r.id,
    brandId: r.brand_id,
    startedAt: r.started_at,
    finishedAt: r.finished_at ?? undefined,
    status: r.status as RunStatus,
    read: r.read,
    valid: r.valid,
    invalid: r.invalid,
    sent: r.sent,
    unchanged: r.unchanged,
    failed: r.failed,
  };
}

function stateError(path: string, err: unknown): FeedpipeError {
  return new FeedpipeError("STATE_ERROR", `Sync state ${path}: ${(err as Error).message}`, {
    cause: err,
    context: { source: path },
  });
}

export class SyncState {
  readonly path: string;
  private readonly db: Database.Database | undefined;
  private readonly flushEvery: number;
  /** The endpoint key every row of this state is read and written under. */
  readonly endpoint: string;
  /** Buffered confirmations by brand + SKU (the last one wins). */
  private pending = new Map<
    string,
    { brandId: string; sku: string; hash: string; at: string; price: string | null }
  >();
  private closed = false;
  private readonly stmts:
    | {
        get: Database.Statement<[string, string, string], { hash: string }>;
        upsert: Database.Statement<[string, string, string, string, string, string | null]>;
        price: Database.Statement<[string, string, string], { price: string | null }> | undefined;
        lastCompleted: Database.Statement<[string, string], RawRun>;
        lastRun: Database.Statement<[string, string], RawRun>;
        insertRun: Database.Statement<[string, string, string]>;
        finishRun: Database.Statement<
          [string, string, number, number, number, number, number, number, number]
        >;
        countProducts: Database.Statement<[string, string], { n: number }>;
      }
    | undefined;

  private constructor(path: string, db: Database.Database | undefined, flushEvery: number, endpoint = "") {
    this.path = path;
    this.db = db;
    this.flushEvery = Math.max(1, flushEvery);
    this.endpoint = endpoint;
    if (db) {
      // A read-only legacy database (no endpoint column) reads as endpoint "" (see the header).
      const pe = hasColumn(db, "products", "endpoint") ? "endpoint" : "''";
      const re = hasColumn(db, "runs", "endpoint") ? "endpoint" : "''";
      this.stmts = {
        get: db.prepare(`SELECT hash FROM products WHERE ${pe} = ? AND brand_id = ? AND sku = ?`),
        // (A read-only legacy database is never written: placeholders keep the statement shapes.)
        upsert: db.prepare(
          pe === "''"
            ? "SELECT ?, ?, ?, ?, ?, ?"
            : "INSERT INTO products (endpoint, brand_id, sku, hash, confirmed_at, price) VALUES (?, ?, ?, ?, ?, ?) " +
                "ON CONFLICT (endpoint, brand_id, sku) DO UPDATE SET hash = excluded.hash, " +
                "confirmed_at = excluded.confirmed_at, price = excluded.price",
        ),
        price: hasColumn(db, "products", "price")
          ? db.prepare(`SELECT price FROM products WHERE ${pe} = ? AND brand_id = ? AND sku = ?`)
          : undefined,
        // Legacy runs (endpoint "") stay a baseline for every endpoint.
        lastCompleted: db.prepare(
          `SELECT * FROM runs WHERE brand_id = ? AND ${re} IN (?, '') AND status IN ('ok', 'partial') ORDER BY id DESC LIMIT 1`,
        ),
        lastRun: db.prepare(
          `SELECT * FROM runs WHERE brand_id = ? AND ${re} IN (?, '') ORDER BY id DESC LIMIT 1`,
        ),
        insertRun: db.prepare(
          re === "''"
            ? "SELECT ?, ?, ?"
            : "INSERT INTO runs (brand_id, endpoint, started_at, status) VALUES (?, ?, ?, 'running')",
        ),
        finishRun: db.prepare(
          "UPDATE runs SET finished_at = ?, status = ?, read = ?, valid = ?, invalid = ?, sent = ?, " +
            "unchanged = ?, failed = ? WHERE id = ?",
        ),
        countProducts: db.prepare(`SELECT count(*) AS n FROM products WHERE brand_id = ? AND ${pe} = ?`),
      };
    }
  }

  /**
   * Open (creating the file and its directory) the state database at `path`, relative to `cwd`.
   * With `readonly`, a missing database is an empty state and nothing is created.
   */
  static open(path: string, options: OpenStateOptions & { cwd?: string | undefined } = {}): SyncState {
    const full = resolve(options.cwd ?? ".", path);
    const flushEvery = options.flushEvery ?? 100;
    const endpoint = options.endpoint === undefined ? "" : endpointKey(options.endpoint);
    try {
      if (options.readonly) {
        if (!existsSync(full)) return new SyncState(full, undefined, flushEvery);
        const db = new Database(full, { readonly: true, fileMustExist: true });
        const hasTables = db
          .prepare(
            "SELECT count(*) AS n FROM sqlite_master WHERE type = 'table' AND name IN ('products', 'runs')",
          )
          .get() as { n: number };
        if (hasTables.n < 2) {
          db.close();
          return new SyncState(full, undefined, flushEvery);
        }
        return new SyncState(full, db, flushEvery, endpoint);
      }
      mkdirSync(dirname(full), { recursive: true });
      const db = new Database(full);
      db.pragma("journal_mode = WAL");
      db.pragma("synchronous = NORMAL");
      db.pragma("busy_timeout = 5000");
      migrate(db);
      return new SyncState(full, db, flushEvery, endpoint);
    } catch (err) {
      if (err instanceof FeedpipeError) throw err;
      throw stateError(full, err);
    }
  }

  private guard<T>(fn: () => T): T {
    if (this.closed) throw new FeedpipeError("STATE_ERROR", `Sync state ${this.path} is closed`);
    try {
      return fn();
    } catch (err) {
      if (err instanceof FeedpipeError) throw err;
      throw stateError(this.path, err);
    }
  }

  /** The hash of the last confirmed content of a SKU (buffered confirmations included). */
  confirmedHash(brandId: string, sku: string): string | undefined {
    const buffered = this.pending.get(`${brandId}\u0000${sku}`);
    if (buffered) return buffered.hash;
    const s = this.stmts;
    if (!s) return undefined;
    return this.guard(() => s.get.get(this.endpoint, brandId, sku)?.hash);
  }

  /** The price text ("12.5 EUR") recorded with the last confirmation of a SKU, when there is one. */
  confirmedPrice(brandId: string, sku: string): string | undefined {
    const buffered = this.pending.get(`${brandId}\u0000${sku}`);
    if (buffered) return buffered.price ?? undefined;
    const st = this.stmts?.price;
    if (!st) return undefined;
    return this.guard(() => st.get(this.endpoint, brandId, sku)?.price ?? undefined);
  }

  /** Record that the network confirmed this content (buffered; written per `flushEvery`). */
  confirm(brandId: string, sku: string, hash: string, at: Date = new Date(), price?: string): void {
    if (!this.stmts) throw new FeedpipeError("STATE_ERROR", `Sync state ${this.path} was opened read-only`);
    this.pending.set(`${brandId}\u0000${sku}`, {
      brandId,
      sku,
      hash,
      at: at.toISOString(),
      price: price ?? null,
    });
    if (this.pending.size >= this.flushEvery) this.flush();
  }

  /** Write the buffered confirmations in one transaction. */
  flush(): void {
    const s = this.stmts;
    if (!s || !this.db || this.pending.size === 0) return;
    const batch = [...this.pending.values()];
    this.guard(() =>
      this.db!.transaction(() => {
        for (const p of batch) s.upsert.run(this.endpoint, p.brandId, p.sku, p.hash, p.at, p.price);
      })(),
    );
    this.pending.clear();
  }

  /** Confirmations written or buffered for a brand. */
  confirmedCount(brandId: string): number {
    this.flushIfWritable();
    const s = this.stmts;
    return s ? this.guard(() => s.countProducts.get(brandId, this.endpoint)?.n ?? 0) : 0;
  }

  private flushIfWritable(): void {
    if (this.stmts && !this.db?.readonly) this.flush();
  }

  /** The last run that went through (status ok or partial): the publish gate's baseline. */
  lastCompletedRun(brandId: string): RunRow | undefined {
    const s = this.stmts;
    if (!s) return undefined;
    return this.guard(() => {
      const r = s.lastCompleted.get(brandId, this.endpoint);
      return r ? toRun(r) : undefined;
    });
  }

  lastRun(brandId: string): RunRow | undefined {
    const s = this.stmts;
    if (!s) return undefined;
    return this.guard(() => {
      const r = s.lastRun.get(brandId, this.endpoint);
      return r ? toRun(r) : undefined;
    });
  }

  /** Start a run (status `running` until finished; a killed run stays `running`). */
  startRun(brandId: string, at: Date = new Date()): number {
    const s = this.stmts;
    if (!s || this.db?.readonly)
      throw new FeedpipeError("STATE_ERROR", `Sync state ${this.path} is read-only`);
    return this.guard(() =>
      Number(s.insertRun.run(brandId, this.endpoint, at.toISOString()).lastInsertRowid),
    );
  }

  finishRun(id: number, status: RunStatus, counts: RunCounts, at: Date = new Date()): void {
    const s = this.stmts;
    if (!s) return;
    this.flush();
    this.guard(() =>
      s.finishRun.run(
        at.toISOString(),
        status,
        counts.read,
        counts.valid,
        counts.invalid,
        counts.sent,
        counts.unchanged,
        counts.failed,
        id,
      ),
    );
  }

  /** Flush and close. Safe to call twice. */
  close(): void {
    if (this.closed) return;
    try {
      this.flushIfWritable();
    } finally {
      this.closed = true;
      this.db?.close();
    }
  }
}
