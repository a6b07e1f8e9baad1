/**
 * PartnerBoost Publisher API (datafeed list): the filters a user may give, checked and normalised
 * once before any request, and turned into the API's parameters.
 */
import { FeedpipeError } from "../../../core/errors.js";

export const BRAND_TYPES = ["TikTok", "DTC", "Walmart"] as const;
export const PRICE_RANGES = ["0-75", "75-150", "150-300", "300-500", "500-1000", "1000+"] as const;
export const MIN_DISCOUNTS = [75, 50, 25, 10] as const;
export const MAX_PAGE_LIMIT = 100;
export const DEFAULT_PAGE_LIMIT = 100;
export const DEFAULT_CONCURRENCY = 4;

export type BrandType = (typeof BRAND_TYPES)[number];
export type PriceRange = (typeof PRICE_RANGES)[number];
export type MinDiscount = (typeof MIN_DISCOUNTS)[number];

/** Filters as a user gives them (loose). */
export interface PublisherFilters {
  brandType?: string | undefined;
  brandId?: string | number | undefined;
  mcid?: string | undefined;
  keywords?: string | undefined;
  priceRange?: string | undefined;
  minDiscount?: string | number | undefined;
}

/** Filters checked and normalised, as sent (API parameter names). */
export interface ResolvedFilters {
  brand_type?: BrandType | undefined;
  brand_id?: string | undefined;
  mcid?: string | undefined;
  keywords?: string | undefined;
  price_range?: PriceRange | undefined;
  min_discount?: MinDiscount | undefined;
}

const OPTION_NAMES: Record<keyof PublisherFilters, string> = {
  brandType: "--brand-type",
  brandId: "--brand-id",
  mcid: "--mcid",
  keywords: "--keywords",
  priceRange: "--price-range",
  minDiscount: "--min-discount",
};

export function invalidFilter(
  key: keyof PublisherFilters | "limit" | "concurrency",
  expected: string,
  got: unknown,
): FeedpipeError {
  const name = key === "limit" ? "--limit" : key === "concurrency" ? "--concurrency" : OPTION_NAMES[key];
  const shown =
    typeof got === "string" ? JSON.stringify(got.length > 60 ? `${got.slice(0, 60)}…` : got) : String(got);
  return new FeedpipeError("INVALID_OPTION", `Invalid option ${name}: expected ${expected}, got ${shown}`, {
    context: { field: name },
  });
}

/**
 * Check filters before any request. Throws FeedpipeError INVALID_OPTION, e.g.
 * `Invalid option --price-range: expected one of 0-75, 75-150, ..., 1000+, got "10-20"`.
 * Brand types are matched case-insensitively and sent in the documented spelling.
 */
export function resolvePublisherFilters(input: PublisherFilters = {}): ResolvedFilters {
  const out: ResolvedFilters = {};
  const text = (key: keyof PublisherFilters): string | undefined => {
    const v = input[key];
    if (v === undefined) return undefined;
    if (typeof v !== "string" && typeof v !== "number") throw invalidFilter(key, "text", typeof v);
    const s = String(v).trim();
    if (s === "") throw invalidFilter(key, "a value", v);
    return s;
  };
  const brandType = text("brandType");
  if (brandType !== undefined) {
    const found = BRAND_TYPES.find((t) => t.toLowerCase() === brandType.toLowerCase());
    if (!found) throw invalidFilter("brandType", `one of ${BRAND_TYPES.join(", ")}`, input.brandType);
    out.brand_type = found;
  }
  const brandId = text("brandId");
  if (brandId !== undefined) {
    if (!/^\d{1,20}$/.test(brandId))
      throw invalidFilter("brandId", "a brand id of digits (like 66303)", input.brandId);
    out.brand_id = brandId;
  }
  const mcid = text("mcid");
  if (mcid !== undefined) {
    if (mcid.length > 100 || /[\s\u0000-\u001f]/.test(mcid)) {
      throw invalidFilter("mcid", "a brand identifier without spaces (like ulike0)", input.mcid);
    }
    out.mcid = mcid;
  }
  const keywords = text("keywords");
  if (keywords !== undefined) {
    if (keywords.length > 200)
      throw invalidFilter("keywords", "at most 200 characters", `${keywords.length} characters`);
    out.keywords = keywords;
  }
  const priceRange = text("priceRange");
  if (priceRange !== undefined) {
    const found = PRICE_RANGES.find((r) => r === priceRange.replace(/\s+/g, ""));
    if (!found) throw invalidFilter("priceRange", `one of ${PRICE_RANGES.join(", ")}`, input.priceRange);
    out.price_range = found;
  }
  const minDiscount = text("minDiscount");
  if (minDiscount !== undefined) {
    const n = Number(minDiscount.replace(/%$/, ""));
    const found = MIN_DISCOUNTS.find((d) => d === n);
    if (found === undefined)
      throw invalidFilter("minDiscount", `one of ${MIN_DISCOUNTS.join(", ")}`, input.minDiscount);
    out.min_discount = found;
  }
  return out;
}

/** Check a page size: a whole number 1..100. */
export function checkPageLimit(limit: unknown): number {
  if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_LIMIT) {
    throw invalidFilter("limit", `a whole number from 1 to ${MAX_PAGE_LIMIT}`, limit);
  }
  return limit;
}

export function checkConcurrency(n: unknown): number {
  if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > 64) {
    throw invalidFilter("concurrency", "a whole number from 1 to 64", n);
  }
  return n;
}

/** Filters to API parameters. Loose and resolved filters are both accepted and (re)checked. */
export function filterParams(filters: PublisherFilters | ResolvedFilters): Record<string, string> {
  const f = filters as PublisherFilters & ResolvedFilters;
  const resolved = resolvePublisherFilters({
    brandType: f.brandType ?? f.brand_type,
    brandId: f.brandId ?? f.brand_id,
    mcid: f.mcid,
    keywords: f.keywords,
    priceRange: f.priceRange ?? f.price_range,
    minDiscount: f.minDiscount ?? f.min_discount,
  });
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(resolved)) if (v !== undefined) out[k] = String(v);
  return out;
}
