import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { checkGtin, gtinCheckDigit, gtinPrefixRule } from "../schemas/normalize.js";

/** Append the GS1 check digit to a body. */
const withCheck = (body: string) => body + gtinCheckDigit(body);

/** Change the digit at `i` to a different one. */
const changeDigit = (s: string, i: number, delta: number) =>
  s.slice(0, i) + ((Number(s[i]) + delta) % 10) + s.slice(i + 1);

describe("checkGtin: real barcodes", () => {
  it.each([
    ["4006381333931", "EAN-13"],
    ["9783161484100", "ISBN-13"],
    ["036000291452", "UPC-A"],
    ["73513537", "EAN-8"],
    ["00012345600012", "GTIN-14 (zero-padded)"],
    ["0036000291452", "UPC-A as 13 digits"],
    ["00036000291452", "UPC-A as 14 digits"],
    ["9771234567003", "ISSN"],
    ["10012345678902", "GTIN-14 with indicator 1"],
  ])("%s (%s) is valid", (gtin) => {
    expect(checkGtin(gtin)).toEqual({ normalized: gtin });
  });

  it.each([
    "4006381333932",
    "4006381333930",
    "9783161484101",
    "036000291453",
    "73513538",
    "00012345600013",
    "4006381333913", // two digits swapped
  ])("%s has a wrong check digit", (gtin) => {
    expect(checkGtin(gtin).code).toBe("GTIN_CHECK_DIGIT");
  });

  it("removes spaces and dashes and keeps the digits as given", () => {
    expect(checkGtin("400-6381-33393-1")).toEqual({ normalized: "4006381333931" });
    expect(checkGtin(" 0 36000 29145 2 ")).toEqual({ normalized: "036000291452" });
    expect(checkGtin("978\u00a03161484100")).toEqual({ normalized: "9783161484100" });
  });
});

describe("checkGtin: damaged and wrong values", () => {
  it.each(["4.0112E+12", "4,0112E+12", "4.00638E+12", "4E+12", "4.0063813339e12", "3.6E+11"])(
    "%s is spreadsheet damage",
    (v) => {
      expect(checkGtin(v).code).toBe("GTIN_SCIENTIFIC");
    },
  );

  it.each(["ABC1234567890", "40063813339.1", "4006381333931X", "'4006381333931", "n/a"])(
    "%s is not numeric",
    (v) => {
      expect(checkGtin(v).code).toBe("GTIN_NOT_NUMERIC");
    },
  );

  it.each(["1234567", "123456789", "12345678901", "123456789012345", "1"])("%s has a wrong length", (v) => {
    expect(checkGtin(v).code).toBe("GTIN_LENGTH");
  });

  it.each(["00000000", "000000000000", "0000000000000", "00000000000000", "0000-0000"])(
    "%s is all zeros",
    (v) => {
      expect(checkGtin(v).code).toBe("GTIN_ALL_ZEROS");
    },
  );
});

describe("GS1 prefixes", () => {
  it.each([
    ["020", "restricted circulation"],
    ["024", "restricted circulation"],
    ["029", "restricted circulation"],
    ["040", "company internal"],
    ["049", "company internal"],
    ["200", "in-store"],
    ["250", "in-store"],
    ["299", "in-store"],
    ["980", "refund receipt"],
  ])("GTIN-13 prefix %s is restricted (%s)", (prefix) => {
    const gtin = withCheck(`${prefix}123456789`);
    expect(checkGtin(gtin)).toEqual({ code: "GTIN_RESTRICTED", normalized: gtin });
  });

  it.each(["050", "055", "059", "981", "982", "983", "984", "990", "999"])(
    "GTIN-13 prefix %s is a coupon",
    (prefix) => {
      expect(checkGtin(withCheck(`${prefix}123456789`)).code).toBe("GTIN_COUPON");
    },
  );

  it.each([
    "000",
    "001",
    "019",
    "030",
    "060",
    "300",
    "400",
    "500",
    "760",
    "890",
    "977",
    "978",
    "979",
    "985",
    "989",
  ])("GTIN-13 prefix %s is an ordinary trade item", (prefix) => {
    expect(checkGtin(withCheck(`${prefix}123456789`)).code).toBeUndefined();
  });

  it("UPC-A: number system 2 and 4 restricted, 5 coupon, 0/1/3/6-9 fine", () => {
    expect(checkGtin(withCheck("21234567890")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin(withCheck("41234567890")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin(withCheck("51234567890")).code).toBe("GTIN_COUPON");
    for (const d of "0136789") expect(checkGtin(withCheck(`${d}1234567890`)).code).toBeUndefined();
  });

  it("GTIN-8 starting 0 or 2 is a restricted circulation number", () => {
    expect(checkGtin(withCheck("0123456")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin(withCheck("2123456")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin(withCheck("1123456")).code).toBeUndefined();
    expect(checkGtin(withCheck("9123456")).code).toBeUndefined();
    // A GTIN-8 zero-padded to 14 digits is judged as a GTIN-8.
    expect(checkGtin(withCheck("0000002123456")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin("00000073513537").code).toBeUndefined();
  });

  it("GTIN-14: the prefix of the inner GTIN-13 counts, not the indicator digit", () => {
    expect(checkGtin(withCheck("1200123456789")).code).toBe("GTIN_RESTRICTED");
    expect(checkGtin(withCheck("3981123456789")).code).toBe("GTIN_COUPON");
    expect(checkGtin(withCheck("2400638133393")).code).toBeUndefined();
    expect(checkGtin(withCheck("0020123456789")).code).toBe("GTIN_RESTRICTED");
  });

  it("gtinPrefixRule works on unpadded numbers of every length", () => {
    expect(gtinPrefixRule("2001234567893")).toBe("GTIN_RESTRICTED");
    expect(gtinPrefixRule("512345678900")).toBe("GTIN_COUPON");
    expect(gtinPrefixRule("4006381333931")).toBeUndefined();
  });
});

describe("property: check digits", () => {
  const body = (len: number) =>
    fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: len, maxLength: len });
  const validGtin = fc
    .constantFrom(7, 11, 12, 13)
    .chain(body)
    .map(withCheck)
    .filter((g) => !/^0+$/.test(g));

  it("any GTIN built with the computed check digit passes the check digit rule", () => {
    fc.assert(
      fc.property(validGtin, (g) => {
        const r = checkGtin(g);
        expect(r.normalized).toBe(g);
        expect(["GTIN_RESTRICTED", "GTIN_COUPON", undefined]).toContain(r.code);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it("changing any one digit makes it fail", () => {
    fc.assert(
      fc.property(validGtin, fc.nat(), fc.integer({ min: 1, max: 9 }), (g, pos, delta) => {
        const bad = changeDigit(g, pos % g.length, delta);
        const code = checkGtin(bad).code;
        // mod-10 catches every single-digit change; an all-zero result is caught as such.
        expect(code === "GTIN_CHECK_DIGIT" || (code === "GTIN_ALL_ZEROS" && /^0+$/.test(bad))).toBe(true);
      }),
      { seed: 42, numRuns: 2000 },
    );
  });

  it("separators never change the verdict", () => {
    fc.assert(
      fc.property(validGtin, fc.nat(), (g, cut) => {
        const at = cut % g.length;
        const spaced = `${g.slice(0, at)}-${g.slice(at)}`;
        expect(checkGtin(spaced)).toEqual(checkGtin(g));
      }),
      { seed: 42, numRuns: 500 },
    );
  });
});

describe("gtinPrefixRule reads the padded digits in place", () => {
  /** The rule as it was first written: on a copy padded with zeros to 14 digits. */
  const padded = (digits: string) => (digits.length >= 14 ? digits : "0".repeat(14 - digits.length) + digits);
  const reference = (digits: string): string | undefined => {
    const g14 = padded(digits);
    if (g14.startsWith("000000")) return g14[6] === "0" || g14[6] === "2" ? "GTIN_RESTRICTED" : undefined;
    const [d1, d2, d3] = [g14[1], g14[2], g14[3]];
    if (d1 === "0")
      return d2 === "2" || d2 === "4" ? "GTIN_RESTRICTED" : d2 === "5" ? "GTIN_COUPON" : undefined;
    if (d1 === "2") return "GTIN_RESTRICTED";
    if (d1 === "9" && d2 === "9") return "GTIN_COUPON";
    if (d1 === "9" && d2 === "8")
      return d3 === "0" ? "GTIN_RESTRICTED" : "1234".includes(d3!) ? "GTIN_COUPON" : undefined;
    return undefined;
  };
  it("agrees with the padded-copy reading for any digit string of 7 to 16 digits", () => {
    const digits = fc.string({ unit: fc.constantFrom(..."0123456789"), minLength: 7, maxLength: 16 });
    fc.assert(
      fc.property(digits, (d) => {
        expect(gtinPrefixRule(d)).toBe(reference(d));
      }),
      { numRuns: 2000 },
    );
  });
});
