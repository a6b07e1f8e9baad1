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
    expect(cols.map((c) => c.name)).toEqual(["brand_id", "sku", "hash", "confirmed_at", "price"]);
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
