/**
 * Magento 2 product import/export CSV: `sku, store_view_code, attribute_set_code, product_type,
 * categories, name, description, price, special_price, url_key, base_image, qty, is_in_stock,
 * additional_attributes, configurable_variations, ...`.
 *
 * - Configurable parents are listing products: shoppers buy one of their variations (listed in
 *   `configurable_variations` as `sku=...,size=...|sku=...`), so a parent is counted as skipped
 *   (`MAGENTO_CONFIGURABLE_PARENT`), whether or not it has a price, and its variations are the
 *   products. Grouped products without a price are skipped the same way (`MAGENTO_GROUPED_PARENT`).
 * - Rows with a `store_view_code` are per-store-view overrides of the default row (translations,
 *   prices), not more products: skipped (`MAGENTO_STORE_VIEW_ROW`).
 * - A variation that comes after its parent inherits the parent's blank fields and the attributes
 *   it does not set itself (`additional_attributes`: manufacturer ...), and when it is not
 *   visible individually its URL is the parent's. Parents may come anywhere, so their fields are
 *   kept by child SKU: memory is O(variations of the parents seen). (Magento's own exports list
 *   children before their parent; those keep their own fields.)
 * - `special_price` becomes the price and `price` the old price. URLs are `<base>/<url_key>.html`
 *   with `--base-url`; relative image paths are joined to `--media-url` (default
 *   `<base>/media/catalog/product`). The export has no currency: pass `--currency`.
 */
import type { Fields } from "../../src/core/record.js";
import { joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "../preset.js";
import { inherit, parseAttributeList, STOCK_FLAG_MAP, text } from "./util.js";

const OWN = new Set([
  "sku",
  "product_type",
  "price",
  "special_price",
  "special_price_from_date",
  "special_price_to_date",
  "qty",
  "is_in_stock",
  "configurable_variations",
  "configurable_variation_prices",
  "configurable_variation_labels",
  "additional_attributes",
  "visibility",
  "store_view_code",
]);

/** Internal field: the URL key of the parent page a hidden variation should link to. */
const PARENT_URL_KEY = "\u0000parentUrlKey";

/** Child SKUs listed in `configurable_variations`. */
export function variationSkus(cell: string | undefined): string[] {
  if (!cell) return [];
  const out: string[] = [];
  for (const part of cell.split("|")) {
    const m = /(?:^|,)\s*sku=([^,]+)/.exec(part);
    if (m) out.push(m[1]!.trim());
  }
  return out;
}

/** `Default Category/Men/Tops,Default Category/Collections` → `Men > Tops`. */
function category(cell: string | undefined): string | undefined {
  if (!cell) return undefined;
  const first = cell.split(",")[0]!.trim();
  const parts = first
    .split("/")
    .map((p) => p.trim())
    .filter(Boolean);
  if (parts.length > 1) parts.shift(); // the root category ("Default Category")
  return parts.length ? parts.join(" > ") : undefined;
}

function attr(f: Fields, names: string[]): string | undefined {
  const attrs = parseAttributeList(text(f, "additional_attributes"));
  for (const n of names) {
    const v = text(f, n) ?? attrs.get(n);
    if (v !== undefined && v !== "") return v;
  }
  return undefined;
}

function prepare(_o: PresetOptions): Prepare {
  const parentOf = new Map<string, Fields>();
  return (fields) => {
    const sku = text(fields, "sku");
    const store = text(fields, "store_view_code");
    if (store !== undefined) {
      return new Skip(
        "MAGENTO_STORE_VIEW_ROW",
        `store view "${store}" override of ${sku ?? "a product"} (the default row is the product)`,
        sku,
      );
    }
    const type = text(fields, "product_type")?.toLowerCase();
    if (type === "configurable") {
      const children = variationSkus(text(fields, "configurable_variations"));
      for (const c of children) parentOf.set(c, fields);
      return new Skip(
        "MAGENTO_CONFIGURABLE_PARENT",
        `configurable product ${sku ?? ""} is a listing: its ${children.length} variations are the products`,
        sku,
      );
    }
    if (type === "grouped" && text(fields, "price") === undefined) {
      return new Skip(
        "MAGENTO_GROUPED_PARENT",
        `grouped product ${sku ?? ""} has no price: its children are the products`,
        sku,
      );
    }
    const parent = sku === undefined ? undefined : parentOf.get(sku);
    if (parent === undefined) return fields;
    parentOf.delete(sku!); // each child is seen once; keeps the map shrinking
    const merged = inherit(fields, parent, (k) => OWN.has(k));
    // Attributes the child does not set itself (manufacturer, brand ...) come from the parent.
    const own = parseAttributeList(text(fields, "additional_attributes"));
    const extra: string[] = [];
    for (const [k, v] of parseAttributeList(text(parent, "additional_attributes"))) {
      if (!own.has(k) && !["has_options", "required_options"].includes(k)) extra.push(`${k}=${v}`);
    }
    if (extra.length > 0) {
      const mine = text(fields, "additional_attributes");
      merged.additional_attributes = mine ? `${mine},${extra.join(",")}` : extra.join(",");
    }
    const hidden = text(fields, "visibility")?.toLowerCase() === "not visible individually";
    const pkey = text(parent, "url_key");
    if (hidden && pkey !== undefined) merged[PARENT_URL_KEY] = pkey;
    return merged;
  };
}

export const magento: Preset = {
  name: "magento",
  title: "Magento 2 product import/export CSV",
  signature: {
    required: [["sku"], ["name"], ["url_key", "attribute_set_code", "product_type"]],
    columns: {
      sku: 1,
      name: 1,
      attribute_set_code: 10,
      product_type: 5,
      url_key: 5,
      base_image: 5,
      store_view_code: 5,
      product_websites: 5,
      configurable_variations: 5,
      special_price: 3,
      is_in_stock: 3,
      additional_attributes: 3,
    },
  },
  needs: { baseUrl: true, currency: true },
  memory:
    "parent fields by child SKU for configurable parents seen before their children (O(parents' variations))",
  prepare,
  mapping: (o) => {
    const media = o.mediaBaseUrl ?? (o.baseUrl ? joinUrl(o.baseUrl, "media/catalog/product") : undefined);
    return {
      fields: {
        sku: "sku",
        name: "name",
        description: { from: ["description", "short_description"], transforms: ["strip_html"] },
        url: {
          compute: (f) => {
            const key = text(f, PARENT_URL_KEY) ?? text(f, "url_key");
            if (key === undefined || !o.baseUrl) return undefined;
            return joinUrl(o.baseUrl, /\.\w+$/.test(key) ? key : `${key}.html`);
          },
        },
        image: {
          compute: (f) => {
            const img = text(f, "base_image") ?? text(f, "small_image") ?? text(f, "thumbnail_image");
            if (img === undefined) return undefined;
            // Without a media base URL a relative path is passed on as written: the image rule reports it.
            return media ? joinUrl(media, img) : img;
          },
        },
        price: { compute: (f) => text(f, "special_price") ?? text(f, "price") },
        currency: o.currency ? { const: o.currency } : ["currency"],
        old_price: {
          compute: (f) => (text(f, "special_price") !== undefined ? text(f, "price") : undefined),
        },
        category: { compute: (f) => category(text(f, "categories")) },
        brand: { compute: (f) => attr(f, ["brand", "manufacturer"]) },
        gtin: { compute: (f) => attr(f, ["gtin", "ean", "upc", "barcode"]) },
        mpn: { compute: (f) => attr(f, ["mpn"]) },
        availability: { from: "is_in_stock", transforms: [{ map: STOCK_FLAG_MAP }] },
      },
    };
  },
};
