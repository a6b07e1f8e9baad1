/**
 * PartnerBoost Amazon products (`get_fba_products`): the documented fields, the tolerant reading of
 * a page, and the flat export row.
 *
 * As sent: prices are text with a symbol (`"$269.99"`), percentages text (`"10%"`), `variant_asin`
 * a comma-joined list, `promo_code_list` an array of objects, `rating`/`reviews` numbers as text.
 * The export row flattens every documented field: prices become a number plus a currency column
 * (the code in the text, else the symbol's currency, else the product's `currency`), percentages
 * numbers (`"10%"` → 10), the first promo code's fields plus `promo_code_count`, and `variant_asin`
 * stays one list cell (`B0…,B0…`, blanks dropped) with `variant_count`. A value that does not read
 * as a number leaves its cell empty and is counted (see `AmazonRowIssue`), never guessed.
 */
import { parsePrice } from "../../../../schemas/normalize.js";
import type { Row } from "../../../formats/types.js";
import type { ListPage } from "../paging.js";
import { isObject, listEntries, str, toFlag } from "../values.js";
import { describeShape, listHolder, NotAListError } from "../list-holder.js";

/** Scalar product fields of `get_fba_products`, in the documented order. */
export const AMAZON_PRODUCT_FIELDS = [
  "product_id",
  "product_name",
  "image",
  "asin",
  "discount",
  "discount_code",
  "coupon",
  "commission",
  "category",
  "subcategory",
  "parent_asin",
  "variant_asin",
  "availability",
  "rating",
  "reviews",
  "url",
  "brand_id",
  "brand_name",
  "update_time",
  "country_code",
  "relationship",
  "original_price",
  "discount_price",
  "currency",
  "acc_commission",
  "acc_start_date",
  "acc_end_date",
] as const;

/** Fields of one `promo_code_list` entry. */
export const AMAZON_PROMO_FIELDS = [
  "promotion_title",
  "tracking_id",
  "promo_code",
  "buyer_gets",
  "promo_code_start_time",
  "promo_code_end_time",
  "redemptions_per_customer",
  "can_combine_with_coupon",
  "promotional_price",
] as const;

export type AmazonProductField = (typeof AMAZON_PRODUCT_FIELDS)[number];
export type AmazonPromoField = (typeof AMAZON_PROMO_FIELDS)[number];
export type AmazonPromoCode = Record<AmazonPromoField, string>;

/** One product as read: every scalar field as text ("" when absent), promo codes as a list. */
export type AmazonProduct = Record<AmazonProductField, string> & { promo_codes: AmazonPromoCode[] };

/** Export columns, in order (`link`, `link_id` follow with --links). */
export const AMAZON_COLUMNS = [
  "product_id",
  "asin",
  "product_name",
  "url",
  "image",
  "brand_id",
  "brand_name",
  "country_code",
  "category",
  "subcategory",
  "parent_asin",
  "variant_asin",
  "variant_count",
  "relationship",
  "availability",
  "rating",
  "reviews",
  "currency",
  "original_price",
  "original_price_currency",
  "discount_price",
  "discount_price_currency",
  "discount",
  "discount_code",
  "coupon",
  "commission",
  "acc_commission",
  "acc_start_date",
  "acc_end_date",
  "update_time",
  "promo_code_count",
  "promo_title",
  "promo_tracking_id",
  "promo_code",
  "promo_buyer_gets",
  "promo_start_time",
  "promo_end_time",
  "promo_redemptions_per_customer",
  "promo_can_combine_with_coupon",
  "promo_price",
  "promo_price_currency",
] as const;

export const AMAZON_LINK_COLUMNS = ["link", "link_id"] as const;

function scalar(v: unknown): string {
  return str(v).trim();
}

/** Read one raw `data.list` entry. */
export function normalizeAmazonProduct(raw: Record<string, unknown>): AmazonProduct {
  const p = { promo_codes: [] } as unknown as AmazonProduct;
  for (const f of AMAZON_PRODUCT_FIELDS) p[f] = scalar(raw[f]);
  const list = raw.promo_code_list;
  for (const entry of Array.isArray(list) ? list : isObject(list) ? listEntries(list, ["promo_code"]) : []) {
    if (!isObject(entry)) continue;
    const promo = {} as AmazonPromoCode;
    for (const f of AMAZON_PROMO_FIELDS) promo[f] = scalar(entry[f]);
    p.promo_codes.push(promo);
  }
  return p;
}

/** A product's identity for dedupe and link generation: `product_id`, else asin + country. */
export function amazonProductKey(p: AmazonProduct): string | undefined {
  if (p.product_id !== "") return p.product_id;
  return p.asin === "" ? undefined : `${p.asin}\u0000${p.country_code}`;
}

/**
 * Read `data` of a `get_fba_products` answer: `list` and `has_more` (no total is sent). Throws
 * `NotAListError` when the answer holds no list (`data` missing or null, or no `list` anywhere).
 */
export function parseAmazonProductsData(data: unknown): ListPage<AmazonProduct> {
  const d = listHolder(data);
  if (d === undefined) throw new NotAListError(describeShape(data));
  const products: AmazonProduct[] = [];
  let malformed = 0;
  for (const entry of listEntries(d.list, ["product_id", "asin"])) {
    if (isObject(entry)) products.push(normalizeAmazonProduct(entry));
    else malformed++;
  }
  const page: ListPage<AmazonProduct> = { total: undefined, products, malformed };
  const hasMore = toFlag(d.has_more ?? d.hasMore);
  if (hasMore !== undefined) page.hasMore = hasMore;
  return page;
}

// ---------------------------------------------------------------------------------------------
// Values

/** Currency of a symbol when the symbol says it unambiguously. */
const SYMBOLS: [string, string][] = [
  ["US$", "USD"],
  ["CA$", "CAD"],
  ["C$", "CAD"],
  ["AU$", "AUD"],
  ["A$", "AUD"],
  ["MX$", "MXN"],
  ["R$", "BRL"],
  ["S$", "SGD"],
  ["€", "EUR"],
  ["£", "GBP"],
  ["¥", "JPY"],
  ["￥", "JPY"],
  ["₹", "INR"],
  ["₺", "TRY"],
  ["zł", "PLN"],
  ["kr", "SEK"],
];
/** Symbols the price parser does not know: taken off before parsing. */
const EXTRA_SYMBOLS = /zł|￥|kr/g;
/** Currencies written with a bare `$`. */
const DOLLARS = new Set(["USD", "CAD", "AUD", "MXN", "SGD", "NZD", "HKD"]);

export interface AmazonPrice {
  amount: number | undefined;
  currency: string;
}

/**
 * `"$269.99"` → 269.99 USD; `"269,99 €"` → 269.99 EUR; `"CA$19.99"` → CAD; a bare `$` takes the
 * product's currency when that is a dollar currency (else USD); a number alone takes the product's
 * currency. `amount` is undefined for "" and for text that is not a price.
 */
export function readAmazonPrice(text: string, productCurrency: string): AmazonPrice {
  const t = text.trim();
  const fallback = productCurrency.trim().toUpperCase();
  if (t === "") return { amount: undefined, currency: "" };
  let currency: string | undefined;
  for (const [symbol, code] of SYMBOLS) {
    if (t.includes(symbol)) {
      currency = code;
      break;
    }
  }
  const compact = t.replace(EXTRA_SYMBOLS, "").replace(/\s+/g, " ").trim();
  let parsed = parsePrice(compact, { withCurrency: true });
  if (!parsed.ok) parsed = parsePrice(compact, { withCurrency: true, decimalComma: true });
  if (parsed.ok && parsed.currency !== undefined) currency = parsed.currency;
  if (currency === undefined) {
    currency = t.includes("$") ? (DOLLARS.has(fallback) ? fallback : "USD") : fallback;
  }
  return { amount: parsed.ok ? parsed.amount : undefined, currency };
}

/** `"10%"` → 10, `"12.5 %"` → 12.5, `"0.2"` → 0.2; undefined for "" and text that is not a number. */
export function readNumber(text: string): number | undefined {
  const t = text.trim().replace(/\s*%$/, "");
  if (t === "" || !/^-?\d+(?:\.\d+)?$/.test(t)) return undefined;
  const n = Number(t);
  return Number.isFinite(n) ? n : undefined;
}

/** `variant_asin` as a list: comma-separated, trimmed, blanks dropped. */
export function variantAsins(text: string): string[] {
  return text
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** A value that was sent but could not be read as a number (its cell is left empty). */
export interface AmazonRowIssue {
  field: string;
  value: string;
}

const NUMBER_FIELDS = [
  "rating",
  "reviews",
  "relationship",
  "discount",
  "commission",
  "acc_commission",
] as const;

/** The flat export row of a product (every AMAZON_COLUMNS key); unreadable numbers go to `issues`. */
export function amazonRow(p: AmazonProduct, issues?: AmazonRowIssue[]): Row {
  const num = (field: string, text: string): number | undefined => {
    const n = readNumber(text);
    if (n === undefined && text !== "") issues?.push({ field, value: text });
    return n;
  };
  const price = (field: string, text: string): AmazonPrice => {
    const r = readAmazonPrice(text, p.currency);
    if (r.amount === undefined && text !== "") issues?.push({ field, value: text });
    return r;
  };
  const variants = variantAsins(p.variant_asin);
  const original = price("original_price", p.original_price);
  const discounted = price("discount_price", p.discount_price);
  const row: Row = {
    product_id: p.product_id,
    asin: p.asin,
    product_name: p.product_name,
    url: p.url,
    image: p.image,
    brand_id: p.brand_id,
    brand_name: p.brand_name,
    country_code: p.country_code,
    category: p.category,
    subcategory: p.subcategory,
    parent_asin: p.parent_asin,
    variant_asin: variants.join(","),
    variant_count: variants.length,
  };
  for (const f of NUMBER_FIELDS) row[f] = num(f, p[f]);
  Object.assign(row, {
    availability: p.availability,
    currency: p.currency,
    original_price: original.amount,
    original_price_currency: original.currency,
    discount_price: discounted.amount,
    discount_price_currency: discounted.currency,
    discount_code: p.discount_code,
    coupon: p.coupon,
    acc_start_date: p.acc_start_date,
    acc_end_date: p.acc_end_date,
    update_time: p.update_time,
    promo_code_count: p.promo_codes.length,
  });
  const promo = p.promo_codes[0];
  const promoPrice = promo ? price("promotional_price", promo.promotional_price) : undefined;
  Object.assign(row, {
    promo_title: promo?.promotion_title ?? "",
    promo_tracking_id: promo?.tracking_id ?? "",
    promo_code: promo?.promo_code ?? "",
    promo_buyer_gets: promo ? num("buyer_gets", promo.buyer_gets) : undefined,
    promo_start_time: promo?.promo_code_start_time ?? "",
    promo_end_time: promo?.promo_code_end_time ?? "",
    promo_redemptions_per_customer: promo
      ? num("redemptions_per_customer", promo.redemptions_per_customer)
      : undefined,
    promo_can_combine_with_coupon:
      promo && promo.can_combine_with_coupon !== "" ? toFlag(promo.can_combine_with_coupon) : undefined,
    promo_price: promoPrice?.amount,
    promo_price_currency: promoPrice?.currency ?? "",
  });
  return row;
}
