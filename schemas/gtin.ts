/**
 * GTIN checks for product fields: digits after removing spaces and dashes, length 8/12/13/14, GS1
 * mod-10 check digit, spreadsheet damage (`4.0112E+12`), store-internal and coupon prefixes.
 * The digits are read in place: no substring or zero-padded copy per product.
 */

export type GtinCode =
  | "GTIN_SCIENTIFIC"
  | "GTIN_NOT_NUMERIC"
  | "GTIN_LENGTH"
  | "GTIN_ALL_ZEROS"
  | "GTIN_CHECK_DIGIT"
  | "GTIN_RESTRICTED"
  | "GTIN_COUPON";

export interface GtinCheck {
  /** The first rule the value breaks; undefined when it is a valid trade item GTIN. */
  code?: GtinCode | undefined;
  /** The value with spaces and dashes removed (digits as given, no padding). */
  normalized: string;
}

const ALL_DIGITS = /^\d+$/;
const GTIN_SEPARATORS = /[\s\-\u2010-\u2015]+/g;
const SCIENTIFIC = /^[+-]?\d+(?:[.,]\d*)?[eE][+-]?\d+$/;

/** Compute the GS1 mod-10 check digit for the digits before it (`body` = all but the last digit). */
export function gtinCheckDigit(body: string): number {
  return checkDigitOf(body, body.length);
}

/** The check digit for the first `n` digits of `digits` (no substring needed). */
function checkDigitOf(digits: string, n: number): number {
  let sum = 0;
  // weights 3,1,3,1... from the rightmost body digit
  for (let i = n - 1, w = 3; i >= 0; i--, w = 4 - w) sum += (digits.charCodeAt(i) - 48) * w;
  return (10 - (sum % 10)) % 10;
}

/**
 * Check a GTIN (EAN-8, UPC-A, EAN-13, GTIN-14). Spaces and dashes are removed first; zero-padded
 * forms (a UPC-A written as 13 or 14 digits) are valid and kept as given. The first failing rule
 * wins, in this order: scientific notation, non-digits, length, all zeros, check digit, then the
 * GS1 prefix (restricted circulation / coupon), judged on the number padded to 14 digits.
 */
export function checkGtin(value: string): GtinCheck {
  let digits = value.trim();
  if (!ALL_DIGITS.test(digits)) {
    if (SCIENTIFIC.test(digits)) return { code: "GTIN_SCIENTIFIC", normalized: digits };
    digits = digits.replace(GTIN_SEPARATORS, "");
    if (!ALL_DIGITS.test(digits)) return { code: "GTIN_NOT_NUMERIC", normalized: digits };
  }
  const n = digits.length;
  if (n !== 8 && n !== 12 && n !== 13 && n !== 14) return { code: "GTIN_LENGTH", normalized: digits };
  let zeros = 0;
  while (zeros < n && digits.charCodeAt(zeros) === 48) zeros++;
  if (zeros === n) return { code: "GTIN_ALL_ZEROS", normalized: digits };
  if (checkDigitOf(digits, n - 1) !== digits.charCodeAt(n - 1) - 48) {
    return { code: "GTIN_CHECK_DIGIT", normalized: digits };
  }
  const prefix = gtinPrefixRule(digits);
  return prefix === undefined ? { normalized: digits } : { code: prefix, normalized: digits };
}

/**
 * GS1 prefix ranges that are not trade item numbers, judged on the GTIN padded to 14 digits:
 * a GTIN-8 (six leading zeros) starting 0 or 2 is a restricted circulation number (RCN-8); otherwise
 * the first three digits of the inner GTIN-13 (for a GTIN-14, the digits after the indicator):
 * 020-029, 040-049, 200-299 restricted / store-internal (a UPC-A starting 2 or 4 lands here),
 * 980 refund receipts (restricted); 050-059 (UPC-A starting 5), 981-984 and 990-999 coupons.
 */
export function gtinPrefixRule(digits: string): "GTIN_RESTRICTED" | "GTIN_COUPON" | undefined {
  // Digit i of the GTIN padded to 14 digits, read in place (no padded copy).
  const pad = digits.length < 14 ? 14 - digits.length : 0;
  const at = (i: number): number => (i < pad ? 0 : digits.charCodeAt(i - pad) - 48);
  if (at(0) === 0 && at(1) === 0 && at(2) === 0 && at(3) === 0 && at(4) === 0 && at(5) === 0) {
    const first = at(6);
    return first === 0 || first === 2 ? "GTIN_RESTRICTED" : undefined;
  }
  const d1 = at(1);
  const d2 = at(2);
  const d3 = at(3);
  if (d1 === 0) {
    if (d2 === 2 || d2 === 4) return "GTIN_RESTRICTED";
    if (d2 === 5) return "GTIN_COUPON";
    return undefined;
  }
  if (d1 === 2) return "GTIN_RESTRICTED";
  if (d1 === 9) {
    if (d2 === 9) return "GTIN_COUPON";
    if (d2 === 8) {
      if (d3 === 0) return "GTIN_RESTRICTED";
      if (d3 >= 1 && d3 <= 4) return "GTIN_COUPON";
    }
  }
  return undefined;
}
