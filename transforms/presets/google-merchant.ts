/**
 * Google Merchant Center feeds: RSS 2.0 items and Atom entries with `g:`-prefixed elements, and the
 * tab/comma-separated layout with the same attribute names unprefixed (`id, title, link,
 * image_link, price, ...`). Price text such as `349.00 EUR` is split into amount and currency (by the
 * validator's price-with-currency option, which also fills the currency and reports a mismatch
 * between price and old_price); when `sale_price` is present it becomes the price and the regular
 * price becomes `old_price`.
 */
import type { Fields } from "../../src/core/record.js";
import type { MappingSpec } from "../mapping.js";
import type { Preset, PresetOptions } from "../preset.js";
import { firstText } from "./util.js";

/** Both spellings of a Google attribute: `g:price` (XML) and `price` (TSV/CSV). */
export function g(name: string): string[] {
  return [`g:${name}`, name];
}

const PRICE = g("price");
const SALE = g("sale_price");

/** The mapping shared by Google Merchant and Meta catalogs (Meta follows Google's attributes). */
export function googleStyleMapping(options: PresetOptions, extra: { image?: string[] } = {}): MappingSpec {
  const price = (f: Fields) => firstText(f, SALE) ?? firstText(f, PRICE);
  return {
    fields: {
      sku: g("id"),
      name: g("title"),
      description: [...g("description"), "summary"],
      url: g("link"),
      image: [...g("image_link"), ...(extra.image ?? [])],
      // Price texts keep their currency ("349.00 EUR"): the validator (priceWithCurrency) splits
      // them, fills the currency from them and reports a price/old_price currency mismatch.
      price: { compute: price },
      old_price: { compute: (f) => (firstText(f, SALE) !== undefined ? firstText(f, PRICE) : undefined) },
      currency: options.currency
        ? { from: g("currency"), transforms: [{ default: options.currency }] }
        : { from: g("currency") },
      category: [...g("product_type"), ...g("google_product_category")],
      brand: g("brand"),
      gtin: g("gtin"),
      mpn: g("mpn"),
      availability: g("availability"),
    },
  };
}

export const googleMerchant: Preset = {
  name: "google-merchant",
  title: "Google Merchant Center feed (RSS/Atom g: fields, TSV/CSV)",
  signature: {
    required: [g("id"), [...g("title")], [...g("price"), ...g("sale_price")]],
    columns: {
      "g:id": 10,
      "g:price": 10,
      "g:image_link": 10,
      "g:availability": 5,
      "g:condition": 5,
      "g:brand": 3,
      "g:gtin": 3,
      "g:google_product_category": 5,
      id: 2,
      title: 2,
      link: 2,
      image_link: 4,
      price: 1,
      availability: 2,
      condition: 2,
      brand: 1,
      gtin: 1,
      mpn: 1,
      google_product_category: 3,
      product_type: 1,
      additional_image_link: 2,
      item_group_id: 1,
      identifier_exists: 2,
      shipping: 2,
      sale_price: 1,
    },
  },
  validate: { priceWithCurrency: true },
  mapping: (o) => googleStyleMapping(o),
};
