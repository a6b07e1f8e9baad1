import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { CompactStringSet } from "../src/core/sku-set.js";

const sku = (i: number) => `SKU-${String(i).padStart(8, "0")}`;

/** Add every string and check the set against a Set<string>, then probe near misses. */
function agree(items: string[]): void {
  const exact = new Set<string>();
  const compact = new CompactStringSet();
  const wrong: string[] = [];
  for (const s of items) {
    if (compact.add(s) !== !exact.has(s)) wrong.push(`add ${s}`);
    exact.add(s);
  }
  expect(compact.size).toBe(exact.size);
  for (const s of exact) {
    if (!compact.has(s)) wrong.push(`has ${s}`);
    // Same length with the last character changed; one character more; one less.
    const last = s.length > 0 ? String.fromCharCode((s.charCodeAt(s.length - 1) + 1) & 0xff) : "x";
    for (const miss of [s.slice(0, -1) + last, `${s}x`, s.slice(1)]) {
      if (compact.has(miss) !== exact.has(miss)) wrong.push(`has ${miss}`);
    }
  }
  expect(wrong.slice(0, 5)).toEqual([]);
}

describe("CompactStringSet layout (ordinal slots, pages, in-place growth)", () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it("stays exact at every growth boundary (0.9 of 4096, 8192, ... slots)", () => {
    const set = new CompactStringSet();
    const seen: number[] = [];
    let capacity = set.capacity;
    for (let i = 0; i < 60_000; i++) {
      expect(set.add(sku(i))).toBe(true);
      if (set.capacity !== capacity) {
        // Right after a growth: everything added so far is found, nothing else is.
        expect(set.capacity).toBe(capacity * 2);
        expect(i + 1).toBe(Math.floor((capacity * 9) / 10) + 1);
        let found = 0;
        for (let j = 0; j < i + 200; j++) if (set.has(sku(j))) found++;
        expect(found).toBe(i + 1);
        capacity = set.capacity;
        seen.push(capacity);
      }
    }
    expect(seen).toEqual([8192, 16384, 32768, 65536, 131072]);
    let again = 0;
    for (let i = 0; i < 60_000; i++) if (set.add(sku(i))) again++;
    expect(again).toBe(0);
    expect(set.size).toBe(60_000);
  });

  it("finds strings whose group of 16 spans two pages (long strings fill a 1 MiB page every ~4100)", () => {
    const items: string[] = [];
    // Lengths 200-254: entries of 201-255 bytes, so page ends fall at every position in a group.
    for (let i = 0; i < 30_000; i++)
      items.push(`${sku(i)}-`.padEnd(200 + (i % 55), String.fromCharCode(65 + (i % 26))));
    agree(items);
  });

  it("agrees with Set<string> on random strings: ASCII, Latin-1, above U+00FF (side Set), 254/255 characters", () => {
    const latin1 = fc.string({
      unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)),
      maxLength: 12,
    });
    const str = fc.oneof(
      fc.string({ maxLength: 3 }),
      latin1,
      fc.string({ unit: "grapheme", maxLength: 4 }),
      fc.string({ unit: "binary", maxLength: 6 }),
      fc.integer({ min: 252, max: 256 }).map((n) => "é".repeat(n)),
      fc.integer({ min: 0, max: 5000 }).map(sku),
    );
    fc.assert(fc.property(fc.array(str, { maxLength: 6000 }), agree), { numRuns: 40 });
  });

  it("keeps strings above U+00FF or of 255+ characters out of the pages (they go to the side Set)", () => {
    const set = new CompactStringSet();
    const wide = ["Ω-1", "SKU-€", "日本-01", "😀", "x".repeat(255), "é".repeat(300)];
    for (const s of wide) expect(set.add(s)).toBe(true);
    expect(set.bytes).toBe(4096 * 4);
    for (const s of wide) expect(set.add(s)).toBe(false);
    expect(set.has("x".repeat(254))).toBe(false);
    expect(set.add("x".repeat(254))).toBe(true);
    expect(set.has("x".repeat(254))).toBe(true);
    expect(set.size).toBe(wide.length + 1);
  });

  it("holds a 12-character SKU in 4-byte slots: pages of 13 bytes per SKU, 2^k slots for up to 0.9 * 2^k", () => {
    const set = new CompactStringSet();
    const n = 200_000;
    for (let i = 0; i < n; i++) set.add(sku(i));
    // 200k > 0.9 * 2^17, so 2^18 slots; 200k * 13 bytes in 3 pages; 12500 marks in 4 blocks.
    expect(set.capacity).toBe(2 ** 18);
    expect(set.bytes).toBe(3 * 2 ** 20 + 2 ** 18 * 4 + 4 * 4096 * 4);
  });

  it("works without resizable buffers (a new table at each growth)", () => {
    class Plain extends ArrayBuffer {
      constructor(n: number, options?: unknown) {
        if (options !== undefined) throw new RangeError("no resizable buffers");
        super(n);
      }
    }
    vi.stubGlobal("ArrayBuffer", Plain);
    const items: string[] = [];
    for (let i = 0; i < 20_000; i++) items.push(i % 3 === 0 ? sku(i >> 1) : sku(i));
    agree(items);
  });
});
