import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CompactStringSet } from "../src/core/sku-set.js";

describe("CompactStringSet", () => {
  it("agrees with Set<string> on any sequence of adds (ASCII, Latin-1, wide, long strings)", () => {
    const str = fc.oneof(
      fc.string({ maxLength: 6 }),
      fc.string({ unit: "grapheme", maxLength: 4 }),
      fc.string({ unit: fc.integer({ min: 0, max: 0xff }).map((c) => String.fromCharCode(c)), maxLength: 8 }),
      fc.string({ minLength: 250, maxLength: 300 }),
    );
    fc.assert(
      fc.property(fc.array(str, { maxLength: 300 }), (items) => {
        const exact = new Set<string>();
        const compact = new CompactStringSet();
        for (const s of items) {
          expect(compact.has(s)).toBe(exact.has(s));
          expect(compact.add(s)).toBe(!exact.has(s));
          exact.add(s);
          expect(compact.has(s)).toBe(true);
        }
        expect(compact.size).toBe(exact.size);
      }),
    );
  });

  it("stays exact through many table growths and page changes", () => {
    const set = new CompactStringSet();
    const n = 200_000;
    for (let i = 0; i < n; i++)
      expect(set.add(`SKU-${String(i).padStart(8, "0")}-${"x".repeat(i % 40)}`)).toBe(true);
    expect(set.size).toBe(n);
    for (let i = 0; i < n; i += 7)
      expect(set.add(`SKU-${String(i).padStart(8, "0")}-${"x".repeat(i % 40)}`)).toBe(false);
    expect(set.has("SKU-00000001-")).toBe(false);
    expect(set.has("SKU-00000001-x")).toBe(true);
    expect(set.has("")).toBe(false);
    set.add("");
    expect(set.has("")).toBe(true);
    expect(set.size).toBe(n + 1);
  });
});
