/**
 * WooCommerce product CSV export (the built-in exporter): `ID, Type, SKU, Name, Published,
 * Short description, Description, In stock?, Stock, Sale price, Regular price, Categories, Images,
 * Parent, Brands, GTIN, UPC, EAN, ISBN ...`.
 *
 * - Variations (`Type` = variation) inherit their blank fields from their parent (`Parent` is
 *   `id:123` or the parent's SKU). Parents may come anywhere before their variations, so the fields
 *   of every variable parent are kept keyed by ID and SKU: memory is O(variable parents).
 *   A variation whose parent was not seen earlier gets a PARENT_NOT_SEEN warning.
 * - Variable and grouped parents without a price are not products (their variations/children are):
 *   they are counted as skipped (`WOO_VARIABLE_PARENT`, `WOO_GROUPED_PARENT`).
 * - A sale price becomes the price and the regular price the old price.
 * - The export has no product URL and no currency: a `Permalink`/`URL` column is used when an
 *   export plugin adds one, else `--base-url` gives `<base>/?post_type=product&p=<ID>` (the parent's
 *   ID for variations); pass `--currency`.
 */
import type { Fields } from "../../src/core/record.js";
import { joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "../preset.js";
import { inherit, STOCK_FLAG_MAP, text } from "./util.js";

const OWN = new Set([
  "ID",
  "Type",
  "SKU",
  "Parent",
  "Sale price",
  "Regular price",
  "In stock?",
  "Stock",
  "Backorders allowed?",
  "Date sale price starts",
  "Date sale price ends",
  "GTIN, UPC, EAN, or ISBN",
  "GTIN",
  "UPC",
  "EAN",
  "ISBN",
  "Position",
]);

/** Internal field carrying the parent's ID for a variation's URL. */
const PARENT_ID = "\u0000parentId";

function typeOf(f: Fields): string {
  return text(f, "Type")?.toLowerCase() ?? "";
}

function hasType(type: string, t: string): boolean {
  return type.split(",").some((p) => p.trim() === t);
}

/** First entry of a comma-separated list (`\,` is an escaped comma, as the exporter writes it). */
function firstOfList(s: string | undefined): string | undefined {
  if (s === undefined) return undefined;
  const first = s
    .split(/(?<!\\),/)[0]
    ?.replace(/\\,/g, ",")
    .trim();
  return first === "" ? undefined : first;
}

function availability(f: Fields): string | undefined {
  const v = text(f, "In stock?");
  if (v === undefined) return undefined;
  const mapped = STOCK_FLAG_MAP[v.toLowerCase() as keyof typeof STOCK_FLAG_MAP];
  if (mapped === "out_of_stock") {
    const back = text(f, "Backorders allowed?");
    if (back === "1" || back?.toLowerCase() === "notify") return "backorder";
  }
  return mapped ?? v;
}

function parentKey(ref: string): string {
  return ref.startsWith("id:") ? `id:${ref.slice(3).trim()}` : `sku:${ref}`;
}

function prepare(_o: PresetOptions): Prepare {
  const parents = new Map<string, Fields>();
  return (fields, issues) => {
    const type = typeOf(fields);
    const price = text(fields, "Sale price") ?? text(fields, "Regular price");
    if (hasType(type, "variable") || hasType(type, "grouped")) {
      const id = text(fields, "ID");
      const sku = text(fields, "SKU");
      if (hasType(type, "variable")) {
        if (id !== undefined) parents.set(`id:${id}`, fields);
        if (sku !== undefined) parents.set(`sku:${sku}`, fields);
      }
      if (price === undefined) {
        const grouped = hasType(type, "grouped");
        return new Skip(
          grouped ? "WOO_GROUPED_PARENT" : "WOO_VARIABLE_PARENT",
          `${grouped ? "grouped" : "variable"} product ${sku ?? (id ? `ID ${id}` : "")} has no price: its ${
            grouped ? "children" : "variations"
          } are the products`.replace("  ", " "),
          sku,
        );
      }
      return fields;
    }
    if (!hasType(type, "variation")) return fields;
    const ref = text(fields, "Parent");
    if (ref === undefined) return fields;
    const parent = parents.get(parentKey(ref));
    if (parent === undefined) {
      issues.push({
        code: "PARENT_NOT_SEEN",
        severity: "warning",
        field: "Parent",
        message: `parent ${ref} was not seen before this variation: its blank fields cannot be inherited`,
        value: ref,
      });
      return ref.startsWith("id:") ? { ...fields, [PARENT_ID]: ref.slice(3).trim() } : fields;
    }
    const merged = inherit(fields, parent, (k) => OWN.has(k));
    const pid = text(parent, "ID");
    if (pid !== undefined) merged[PARENT_ID] = pid;
    return merged;
  };
}

export const woocommerce: Preset = {
  name: "woocommerce",
  title: "WooCommerce product CSV export",
  signature: {
    required: [["SKU"], ["Name"], ["Regular price", "Sale price"]],
    columns: {
      ID: 1,
      Type: 2,
      SKU: 1,
      Name: 1,
      "Regular price": 5,
      "Sale price": 3,
      "In stock?": 5,
      "Short description": 3,
      "Is featured?": 5,
      "Visibility in catalog": 5,
      "Tax status": 3,
      Categories: 1,
      Images: 2,
      Parent: 2,
      Published: 1,
    },
  },
  needs: { baseUrl: true, currency: true },
  memory: "the fields of every variable parent, keyed by ID and SKU (O(parents))",
  prepare,
  mapping: (o) => ({
    fields: {
      sku: "SKU",
      name: "Name",
      description: { from: ["Description", "Short description"], transforms: ["strip_html"] },
      url: {
        compute: (f) => {
          const own = text(f, "Permalink") ?? text(f, "URL") ?? text(f, "Product URL");
          if (own !== undefined || !o.baseUrl) return own;
          const id = text(f, PARENT_ID) ?? text(f, "ID");
          return id === undefined ? undefined : joinUrl(o.baseUrl, `?post_type=product&p=${id}`);
        },
      },
      image: { compute: (f) => firstOfList(text(f, "Images")) },
      price: { compute: (f) => text(f, "Sale price") ?? text(f, "Regular price") },
      currency: o.currency ? { const: o.currency } : ["Currency"],
      old_price: {
        compute: (f) => (text(f, "Sale price") !== undefined ? text(f, "Regular price") : undefined),
      },
      category: { compute: (f) => firstOfList(text(f, "Categories")) },
      brand: { compute: (f) => firstOfList(text(f, "Brands") ?? text(f, "Brand")) },
      gtin: ["GTIN, UPC, EAN, or ISBN", "GTIN", "EAN", "UPC", "ISBN", "Meta: _gtin", "Meta: _wpm_gtin_code"],
      mpn: ["MPN", "Meta: _mpn"],
      availability: { compute: availability },
    },
  }),
};
