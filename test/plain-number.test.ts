import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { plainNumber } from "../src/formats/writers/csv.js";

describe("plainNumber fast path for prices", () => {
  it("prints whole cents exactly as String(n)", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(10 ** 15) + 1, max: 10 ** 15 - 1 }), (cents) => {
        const n = cents / 100;
        expect(plainNumber(n)).toBe(String(n));
        expect(plainNumber(cents)).toBe(String(cents));
      }),
      { numRuns: 20_000 },
    );
  });

  it("agrees with String(n) for any double printed without an exponent", () => {
    fc.assert(
      fc.property(fc.double({ noNaN: true, noDefaultInfinity: true }), (n) => {
        const s = String(n);
        if (!s.includes("e")) expect(plainNumber(n)).toBe(s);
      }),
      { numRuns: 20_000 },
    );
  });

  it("keeps the edge cases", () => {
    expect(plainNumber(-0)).toBe("0");
    expect(plainNumber(0.29)).toBe("0.29");
    expect(plainNumber(10.5)).toBe("10.5");
    expect(plainNumber(0.05)).toBe("0.05");
    expect(plainNumber(-0.05)).toBe("-0.05");
    expect(plainNumber(1e-7)).toBe("0.0000001");
    expect(plainNumber(1e21)).toBe("1000000000000000000000");
    expect(plainNumber(Number.NaN)).toBe("");
    expect(plainNumber(Number.POSITIVE_INFINITY)).toBe("");
    expect(plainNumber(Number.NEGATIVE_INFINITY)).toBe("");
  });
});
