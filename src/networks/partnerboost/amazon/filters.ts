/**
 * PartnerBoost Amazon endpoints: the product filters and id lists a user gives, checked once before
 * any request (`Invalid option --country: expected …, got "…"`), and turned into API parameters.
 */
import { FeedpipeError } from "../../../core/errors.js";

export const DEFAULT_AMAZON_PAGE_SIZE = 20; // PartnerBoost's own example; the maximum is not published
export const MAX_AMAZON_PAGE_SIZE = 100;
/** Ids per link / status request: bounded (the API publishes no limit; 20 keeps requests small). */
export const DEFAULT_LINK_BATCH = 20;
export const MAX_LINK_BATCH = 100;

/** Filters as a user gives them (loose). */
export interface AmazonFilters {
  countryCode?: string | undefined;
  brandId?: string | number | undefined;
  /** ASINs: a comma-joined text or a list. */
  asins?: string | readonly string[] | undefined;
  sort?: string | undefined;
  relationship?: string | number | undefined;
  hasPromoCode?: boolean | undefined;
  hasAcc?: boolean | undefined;
  originalCurrency?: boolean | undefined;
  filterSexualWellness?: boolean | undefined;
  defaultFilter?: boolean | undefined;
}

/** API parameters of `get_fba_products` (only those given). */
export type AmazonParams = Record<string, string | number>;

export function invalidOption(name: string, expected: string, got: unknown): FeedpipeError {
  const shown =
    typeof got === "string" ? JSON.stringify(got.length > 60 ? `${got.slice(0, 60)}…` : got) : String(got);
  return new FeedpipeError("INVALID_OPTION", `Invalid option ${name}: expected ${expected}, got ${shown}`, {
    context: { field: name },
  });
}

/** A comma-joined (or listed) set of ids, each checked by `pattern`, trimmed, blanks dropped. */
export function idList(
  name: string,
  input: string | readonly string[] | undefined,
  pattern: RegExp,
  expected: string,
  options: { upper?: boolean } = {},
): string[] {
  if (input === undefined) return [];
  const parts = (typeof input === "string" ? input.split(",") : input).map((s) => String(s).trim());
  const out: string[] = [];
  for (const part of parts) {
    if (part === "") continue;
    const id = options.upper ? part.toUpperCase() : part;
    if (!pattern.test(id)) throw invalidOption(name, expected, part);
    out.push(id);
  }
  return out;
}

export const ASIN = /^[A-Z0-9]{10}$/;
export const BRAND_ID = /^\d{1,20}$/;
export const PRODUCT_ID = /^[A-Za-z0-9_-]{1,64}$/;
export const LINK_ID = /^[A-Za-z0-9_.~-]{1,512}$/;
const COUNTRY = /^[A-Z]{2}$/;

/** Check a marketplace country code (`US`, `DE`, `UK` …); upper-cased. */
export function checkCountry(value: string, name = "--country"): string {
  const c = value.trim().toUpperCase();
  if (!COUNTRY.test(c)) throw invalidOption(name, "a two-letter country code (like US or DE)", value);
  return c;
}

export function resolveAmazonFilters(input: AmazonFilters = {}): AmazonParams {
  const out: AmazonParams = {};
  if (input.countryCode !== undefined) out.country_code = checkCountry(input.countryCode);
  if (input.brandId !== undefined) {
    const b = String(input.brandId).trim();
    if (!BRAND_ID.test(b))
      throw invalidOption("--brand-id", "a brand id of digits (like 90863)", input.brandId);
    out.brand_id = b;
  }
  const asins = idList("--asins", input.asins, ASIN, "ASINs of 10 letters or digits, comma-separated", {
    upper: true,
  });
  if (asins.length > 0) out.asins = asins.join(",");
  if (input.sort !== undefined) {
    const s = input.sort.trim();
    if (!/^[A-Za-z0-9_, -]{1,40}$/.test(s))
      throw invalidOption("--sort", "a sort key (letters, digits, _)", input.sort);
    out.sort = s;
  }
  if (input.relationship !== undefined) {
    const r = String(input.relationship).trim();
    if (!/^\d{1,2}$/.test(r))
      throw invalidOption("--relationship", "a small whole number (like 1)", input.relationship);
    out.relationship = Number(r);
  }
  const flags: [keyof AmazonFilters, string][] = [
    ["hasPromoCode", "has_promo_code"],
    ["hasAcc", "has_acc"],
    ["originalCurrency", "is_original_currency"],
    ["filterSexualWellness", "filter_sexual_wellness"],
    ["defaultFilter", "default_filter"],
  ];
  for (const [key, param] of flags) if (input[key] === true) out[param] = 1;
  return out;
}

/** Check a whole-number option in a range. */
export function checkRange(name: string, n: unknown, min: number, max: number): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < min || n > max) {
    throw invalidOption(name, `a whole number from ${min} to ${max}`, n);
  }
  return n;
}
