/**
 * PartnerBoost Publisher API (datafeed list): the product fields, their export order, and the
 * tolerant reading of list pages (JSON list entries and bulk CSV rows alike).
 *
 * Tolerance: `total` as a string or number; numbers as strings; `data.list` as an array, an
 * index-keyed object ({"0":{…},"1":{…}}) or missing (no products); a `has_more` flag when present;
 * the XML variant's `updated-at` spelling. Every field value becomes a string (null → "").
 * Unknown fields are ignored; list entries that are not objects are counted as malformed.
 */
import { isObject, listEntries, str, toCount, toFlag } from "../values.js";
import { describeShape, listHolder, NotAListError } from "../list-holder.js";

export { NotAListError } from "../list-holder.js";

/** Product fields the Datafeed List API returns, in feedpipe's stable export order. */
export const PUBLISHER_FIELDS = [
  "name",
  "description",
  "brand_id",
  "mcid",
  "merchant_name",
  "url",
  "image",
  "sku",
  "category",
  "price",
  "currency",
  "old_price",
  "brand",
  "availability",
  "gtin",
  "mpn",
  "custom1",
  "custom2",
  "custom3",
  "creative_id",
  "tracking_url",
  "tracking_url_short",
  "tracking_url_smart",
  "updated_at",
] as const;

export type PublisherField = (typeof PUBLISHER_FIELDS)[number];

/** One product as the publisher API returns it; every value is a string ("" when absent). */
export type PublisherProduct = Record<PublisherField, string>;

/** Export columns: the API fields, then `updated_at_iso` (ISO 8601 UTC from the Unix seconds). */
export const PUBLISHER_COLUMNS = [...PUBLISHER_FIELDS, "updated_at_iso"] as const;

export type PublisherRow = PublisherProduct & { updated_at_iso: string };

const FIELD_ALIASES: Record<string, PublisherField> = { "updated-at": "updated_at", updatedat: "updated_at" };

/** Turn one raw product object (JSON list entry or CSV row) into a PublisherProduct. */
export function normalizePublisherProduct(raw: Record<string, unknown>): PublisherProduct {
  const p = {} as PublisherProduct;
  for (const f of PUBLISHER_FIELDS) p[f] = "";
  for (const [key, value] of Object.entries(raw)) {
    const k = key
      .replace(/^\uFEFF/, "")
      .trim()
      .toLowerCase();
    const field = (PUBLISHER_FIELDS as readonly string[]).includes(k)
      ? (k as PublisherField)
      : FIELD_ALIASES[k];
    if (field !== undefined && (p[field] === "" || k === field)) p[field] = str(value).trim();
  }
  return p;
}

/** ISO 8601 UTC (`2024-03-11T02:02:27Z`) from Unix seconds (or milliseconds); "" when not a timestamp. */
export function unixToIso(value: string): string {
  const s = value.trim();
  if (!/^\d{1,14}(\.\d+)?$/.test(s)) return "";
  let n = Number(s);
  if (n >= 1e12) n /= 1000; // milliseconds
  const d = new Date(Math.round(n * 1000));
  return Number.isNaN(d.getTime()) ? "" : d.toISOString().replace(/\.000Z$/, "Z");
}

/** The export row for a product: its fields plus `updated_at_iso`. */
export function publisherRow(p: PublisherProduct): PublisherRow {
  return { ...p, updated_at_iso: unixToIso(p.updated_at) };
}

/** A lone product object sent where a list was expected. */
const SINGLE_ITEM_KEYS = ["sku", "name"];

export interface PublisherPage {
  /** `data.total`; undefined when the server did not say. */
  total: number | undefined;
  products: PublisherProduct[];
  /** `data.has_more` when present. */
  hasMore?: boolean | undefined;
  /** List entries that were not product objects (counted, not exported). */
  malformed: number;
}

/** Keys a product object may arrive wrapped in (`{"product": {…}}`). */
const WRAPPER_KEYS = new Set(["product", "item", "datafeed"]);

/** A product object, unwrapped from `{"product": {…}}`; undefined when the entry is not an object. */
function productObject(entry: unknown): Record<string, unknown> | undefined {
  if (!isObject(entry)) return undefined;
  const keys = Object.keys(entry);
  if (keys.length === 1 && WRAPPER_KEYS.has(keys[0]!.toLowerCase())) {
    const inner = entry[keys[0]!];
    if (isObject(inner)) return inner;
  }
  return entry;
}

/**
 * Read a list page's `data`. Throws `NotAListError` when the answer holds no list at all (`data`
 * missing or null, or a shape with no `list`): a success without products would replace a good
 * export with an empty one.
 */
export function parseListData(data: unknown): PublisherPage {
  const d = listHolder(data);
  if (d === undefined) throw new NotAListError(describeShape(data));
  const products: PublisherProduct[] = [];
  let malformed = 0;
  for (const entry of listEntries(d.list, SINGLE_ITEM_KEYS)) {
    const obj = productObject(entry);
    if (obj) products.push(normalizePublisherProduct(obj));
    else malformed++;
  }
  const page: PublisherPage = { total: toCount(d.total), products, malformed };
  const hasMore = toFlag(d.has_more ?? d.hasMore);
  if (hasMore !== undefined) page.hasMore = hasMore;
  return page;
}

/**
 * The duplicate key: sku + brand_id (two brands may use the same sku; mcid is sometimes empty).
 * A product without a sku has no identity and is never treated as a duplicate.
 */
export function productKey(p: PublisherProduct): string | undefined {
  return p.sku === "" ? undefined : `${p.brand_id}\u0000${p.sku}`;
}

/** Publisher product → the product-rules candidate (for `--validate`). */
export function publisherCandidate(p: PublisherProduct): Record<string, string> {
  return {
    name: p.name,
    url: p.url,
    image: p.image,
    sku: p.sku,
    price: p.price,
    currency: p.currency,
    description: p.description,
    category: p.category,
    old_price: p.old_price,
    brand: p.brand,
    gtin: p.gtin,
    mpn: p.mpn,
    availability: p.availability,
  };
}
