import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { canonicalJson, productHash, SyncState } from "../src/sync/state.js";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "feedpipe-state-"));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

const counts = { read: 3, valid: 2, invalid: 1, sent: 2, unchanged: 0, failed: 0 };

describe("sync state", () => {
  it("creates the directory and a WAL database with the two tables", () => {
    const path = join(dir, "nested", ".feedpipe", "state.db");
    const s = SyncState.open(path);
    expect(existsSync(path)).toBe(true);
    s.close();
    const db = new Database(path, { readonly: true });
    expect(db.pragma("journal_mode", { simple: true })).toBe("wal");
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all();
    expect(tables.map((t) => (t as { name: string }).name)).toEqual(
      expect.arrayContaining(["products", "runs"]),
    );
    const cols = db.prepare("PRAGMA table_info(products)").all() as { name: string }[];
    expect(cols.map((c) => c.name)).toEqual(["endpoint", "brand_id", "sku", "hash", "confirmed_at", "price"]);
    db.close();
  });

  it("hashes canonical JSON: key order does not matter, content does", () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: "x" }, u: undefined })).toBe(
      '{"a":{"c":"x","d":[1,{"y":2,"z":1}]},"b":1}',
    );
    const a = { sku: "A", name: "N", price: 1 };
    expect(productHash(a)).toBe(productHash({ price: 1, name: "N", sku: "A" }));
    expect(productHash(a)).not.toBe(productHash({ ...a, price: 1.01 }));
    expect(productHash(a)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("writes confirmations in batches; unflushed ones are not on disk (a crash resends them)", () => {
    const path = join(dir, "state.db");
    const writer = SyncState.open(path, { flushEvery: 3 });
    const reader = SyncState.open(path);
    writer.confirm("b1", "A", "h1");
    writer.confirm("b1", "B", "h2");
    expect(writer.confirmedHash("b1", "A")).toBe("h1"); // visible to its own run
    expect(reader.confirmedHash("b1", "A")).toBeUndefined(); // not yet on disk
    writer.confirm("b1", "C", "h3"); // third: one transaction
    expect(reader.confirmedHash("b1", "A")).toBe("h1");
    expect(reader.confirmedHash("b1", "C")).toBe("h3");
    expect(reader.confirmedHash("b2", "A")).toBeUndefined(); // per brand
    writer.confirm("b1", "A", "h1b");
    writer.close(); // flushes
    expect(reader.confirmedHash("b1", "A")).toBe("h1b");
    expect(reader.confirmedCount("b1")).toBe(3);
    reader.close();
  });

  it("records runs; the gate baseline is the last ok or partial run", () => {
    const s = SyncState.open(join(dir, "state.db"));
    expect(s.lastCompletedRun("b1")).toBeUndefined();
    const r1 = s.startRun("b1");
    s.finishRun(r1, "ok", counts);
    const r2 = s.startRun("b1");
    s.finishRun(r2, "partial", { ...counts, valid: 5, failed: 1 });
    const r3 = s.startRun("b1");
    s.finishRun(r3, "gated", { ...counts, valid: 1 });
    s.startRun("b1"); // killed: stays running
    const r5 = s.startRun("b1");
    s.finishRun(r5, "failed", counts);
    const last = s.lastCompletedRun("b1");
    expect(last).toMatchObject({ id: r2, status: "partial", valid: 5, failed: 1 });
    expect(last?.finishedAt).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(s.lastRun("b1")?.status).toBe("failed");
    expect(s.lastCompletedRun("b2")).toBeUndefined();
    s.close();
    s.close(); // idempotent
  });

  it("read-only: a missing database is an empty state and nothing is created", () => {
    const path = join(dir, "none", "state.db");
    const s = SyncState.open(path, { readonly: true });
    expect(s.confirmedHash("b", "A")).toBeUndefined();
    expect(s.lastCompletedRun("b")).toBeUndefined();
    expect(() => s.confirm("b", "A", "h")).toThrow(/read-only/);
    s.close();
    expect(existsSync(join(dir, "none"))).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });

  it("reports an unusable path as STATE_ERROR", () => {
    const file = join(dir, "file");
    const s = SyncState.open(file);
    s.close();
    expect(() => SyncState.open(join(file, "state.db"))).toThrow(
      expect.objectContaining({ code: "STATE_ERROR" }),
    );
  });
});

describe("sync state is keyed by endpoint", () => {
  const STAGING = "https://staging.partnerboost.example/api/brand/";
  const PROD = "https://app.partnerboost.example/api/brand";

  it("a confirmation on staging says nothing about production (same brand id)", () => {
    const path = join(dir, "state.db");
    const staging = SyncState.open(path, { endpoint: STAGING });
    staging.confirm("66303", "A", "h1");
    const run = staging.startRun("66303");
    staging.finishRun(run, "ok", counts);
    staging.close();
    const prod = SyncState.open(path, { endpoint: PROD });
    expect(prod.confirmedHash("66303", "A")).toBeUndefined();
    expect(prod.confirmedCount("66303")).toBe(0);
    expect(prod.lastCompletedRun("66303")).toBeUndefined();
    prod.close();
    // The same endpoint, written differently (case of host, trailing slash): the same state.
    const again = SyncState.open(path, { endpoint: "https://STAGING.partnerboost.example/api/brand" });
    expect(again.confirmedHash("66303", "A")).toBe("h1");
    expect(again.lastCompletedRun("66303")?.status).toBe("ok");
    again.close();
  });

  it("migrates a database from before the endpoint column; its runs stay the gate's baseline", () => {
    const path = join(dir, "old.db");
    const db = new Database(path);
    db.exec(`CREATE TABLE products (brand_id TEXT NOT NULL, sku TEXT NOT NULL, hash TEXT NOT NULL,
      confirmed_at TEXT NOT NULL, PRIMARY KEY (brand_id, sku)) WITHOUT ROWID;
      CREATE TABLE runs (id INTEGER PRIMARY KEY AUTOINCREMENT, brand_id TEXT NOT NULL, started_at TEXT NOT NULL,
      finished_at TEXT, status TEXT NOT NULL, read INTEGER NOT NULL DEFAULT 0, valid INTEGER NOT NULL DEFAULT 0,
      invalid INTEGER NOT NULL DEFAULT 0, sent INTEGER NOT NULL DEFAULT 0, unchanged INTEGER NOT NULL DEFAULT 0,
      failed INTEGER NOT NULL DEFAULT 0);
      INSERT INTO products VALUES ('66303', 'A', 'old-hash', '2026-01-01T00:00:00.000Z');
      INSERT INTO runs (brand_id, started_at, finished_at, status, valid) VALUES ('66303', 't0', 't1', 'ok', 40);`);
    db.close();
    // A dry run (read-only) reads the old database as it is.
    const dry = SyncState.open(path, { readonly: true, endpoint: PROD });
    expect(dry.confirmedHash("66303", "A")).toBeUndefined();
    expect(dry.lastCompletedRun("66303")?.valid).toBe(40);
    dry.close();
    const legacy = SyncState.open(path, { readonly: true });
    expect(legacy.confirmedHash("66303", "A")).toBe("old-hash");
    legacy.close();
    // The first writable open migrates: rows kept under endpoint "".
    const prod = SyncState.open(path, { endpoint: PROD });
    expect(prod.confirmedHash("66303", "A")).toBeUndefined();
    expect(prod.lastCompletedRun("66303")?.valid).toBe(40);
    prod.confirm("66303", "A", "new-hash");
    prod.close();
    const none = SyncState.open(path);
    expect(none.confirmedHash("66303", "A")).toBe("old-hash");
    none.close();
    const check = new Database(path, { readonly: true });
    const cols = (check.prepare("PRAGMA table_info(products)").all() as { name: string }[]).map(
      (c) => c.name,
    );
    expect(cols).toContain("endpoint");
    expect(check.prepare("SELECT count(*) AS n FROM products").get()).toEqual({ n: 2 });
    check.close();
  });
});
