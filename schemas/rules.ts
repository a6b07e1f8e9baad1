/**
 * Product validation rules: one stable code per rule, its severity and what it means.
 *
 * An error rejects the product (it goes to the rejects file); a warning keeps it and is reported.
 * Reports and docs list these; tests and users match on the codes, never on message text.
 */
import type { Severity } from "../src/core/record.js";

export interface RuleInfo {
  severity: Severity;
  description: string;
}

export const RULES = {
  // errors
  REQUIRED_MISSING: {
    severity: "error",
    description: "A required field (name, url, image, sku, price, currency) is missing or empty.",
  },
  PRICE_INVALID: {
    severity: "error",
    description:
      'price is not a non-negative number. Accepted: "1234.56", "1,234.56", "$12.50"; with decimalComma "1.234,56"; with priceWithCurrency "15.00 USD".',
  },
  OLD_PRICE_INVALID: {
    severity: "error",
    description: "old_price is present but not a non-negative number (same formats as price).",
  },
  PRICE_CURRENCY_MISMATCH: {
    severity: "error",
    description: "The currency written in the price (or old_price) text differs from the currency field.",
  },
  CURRENCY_INVALID: {
    severity: "error",
    description: "currency is not an active ISO 4217 code (after upper-casing).",
  },
  URL_INVALID: {
    severity: "error",
    description: "url is not an absolute http(s) URL, or contains spaces or control characters.",
  },
  IMAGE_URL_INVALID: {
    severity: "error",
    description: "image is not an absolute http(s) URL, or contains spaces or control characters.",
  },
  URL_TOO_LONG: {
    severity: "error",
    description: "url or image is longer than 2000 characters.",
  },
  GTIN_SCIENTIFIC: {
    severity: "error",
    description:
      "gtin is in scientific notation (e.g. 4.0112E+12): a spreadsheet mangled the barcode and the lost digits cannot be recovered.",
  },
  GTIN_NOT_NUMERIC: {
    severity: "error",
    description: "gtin contains characters other than digits (spaces and dashes are removed first).",
  },
  GTIN_LENGTH: {
    severity: "error",
    description: "gtin does not have 8, 12, 13 or 14 digits (GTIN-8, UPC-A, EAN-13, GTIN-14).",
  },
  GTIN_ALL_ZEROS: {
    severity: "error",
    description: "gtin is all zeros (a placeholder, not a barcode).",
  },
  GTIN_CHECK_DIGIT: {
    severity: "error",
    description: "gtin fails the GS1 mod-10 check digit.",
  },
  DUPLICATE_SKU: {
    severity: "error",
    description: "Another product earlier in the same run has the same sku (detected by the pipeline).",
  },
  // warnings
  SKU_TOO_LONG: {
    severity: "warning",
    description: "sku is longer than 50 characters (the id limit at Google Merchant Center and CJ).",
  },
  OLD_PRICE_LOWER: {
    severity: "warning",
    description: "old_price is lower than price (an old price is expected to be the higher, pre-sale price).",
  },
  GTIN_RESTRICTED: {
    severity: "warning",
    description:
      "gtin uses a GS1 restricted-circulation prefix (store-internal, variable-weight, company-internal or refund receipt: 020-029, 040-049, 200-299, 980; GTIN-8 starting 0 or 2), not a trade item number.",
  },
  GTIN_COUPON: {
    severity: "warning",
    description: "gtin uses a GS1 coupon prefix (050-059, 981-984, 99x), not a trade item number.",
  },
  NAME_TOO_LONG: {
    severity: "warning",
    description: "name is longer than 150 characters.",
  },
  NAME_HTML: {
    severity: "warning",
    description: "name contains HTML tags.",
  },
  DESCRIPTION_TOO_LONG: {
    severity: "warning",
    description: "description is longer than 5000 characters.",
  },
  AVAILABILITY_UNKNOWN: {
    severity: "warning",
    description:
      "availability is not one of in_stock, out_of_stock, preorder, backorder after normalising (the value is kept as given).",
  },
} as const satisfies Record<string, RuleInfo>;

export type RuleCode = keyof typeof RULES;

/** All rule codes, errors first. */
export const RULE_CODES = Object.keys(RULES) as RuleCode[];

/** Field length limits used by the rules. */
export const LIMITS = {
  url: 2000,
  sku: 50,
  name: 150,
  description: 5000,
} as const;
