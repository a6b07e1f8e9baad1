/**
 * ShoppingFeed (Shopping Flux) generic XML catalog: `<catalog><products><product>` with
 * `reference, gtin, name, link, price, quantity`, `<brand><name>`, `<category><name>` (`A > B`),
 * `<description><full>/<short>`, `<images><image type="main">`, `<discounts><discount>` (the
 * discounted price: then it is the price and `price` the old price) and `<variations><variation>`.
 * A product with variations is counted as skipped (SHOPPINGFEED_VARIATIONS) and each variation is
 * a product: its own reference, gtin, price, quantity and images, the rest from its product, its
 * name completed by its variation attributes (`Mug - Red / XL`).
 *
 * The catalog states no currency: pass --currency. Memory: none kept between records.
 */
import type { FieldValue, Fields } from "../../src/core/record.js";
import { toText, toValue } from "../value.js";
import { Expand, type Prepare, type Preset, Skip } from "../preset.js";
import { elements, text } from "./util.js";

function list(v: FieldValue | undefined): FieldValue[] {
  if (v === undefined || v === null) return [];
  return Array.isArray(v) ? v : [v];
}

function child(v: FieldValue | undefined, key: string): FieldValue | undefined {
  const first = list(v)[0];
  if (first === undefined || first === null || typeof first !== "object" || Array.isArray(first))
    return undefined;
  return (first as Record<string, FieldValue>)[key];
}

function firstDiscount(f: Fields): string | undefined {
  return toText(toValue(child(f.discounts, "discount")))?.trim() || undefined;
}

/** `Red / XL` from `<attributes><attribute type="variation"><name/><value/>`. */
function variationLabel(v: Fields): string | undefined {
  const attrs = list(child(v.attributes, "attribute"));
  const values: string[] = [];
  for (const a of attrs) {
    if (a === null || typeof a !== "object" || Array.isArray(a)) continue;
    const type = toText(toValue(a["@type"]));
    if (type !== undefined && type !== "variation") continue;
    const value = toText(toValue(a.value))?.trim();
    if (value) values.push(value);
  }
  return values.length > 0 ? values.join(" / ") : undefined;
}

function prepare(): Prepare {
  return (fields) => {
    const variations = elements(child(fields.variations, "variation"));
    if (variations.length === 0) return fields;
    const { variations: _, ...parent } = fields;
    const name = text(parent, "name");
    const items = variations.map((v) => {
      const merged: Fields = { ...parent, ...v };
      const label = variationLabel(v);
      if (name !== undefined && label !== undefined) merged.name = `${name} - ${label}`;
      return merged;
    });
    const ref = text(parent, "reference");
    return new Expand(
      new Skip(
        "SHOPPINGFEED_VARIATIONS",
        `product${ref ? ` ${ref}` : ""} has ${variations.length} variations: each is a product`,
        ref,
      ),
      items,
    );
  };
}

export const shoppingfeed: Preset = {
  name: "shoppingfeed",
  title: "ShoppingFeed / Shopping Flux XML catalog (catalog/products/product)",
  signature: {
    required: [["reference"], ["price", "variations"], ["name"]],
    columns: {
      reference: 10,
      gtin: 1,
      name: 1,
      link: 2,
      price: 1,
      quantity: 3,
      brand: 2,
      category: 2,
      description: 1,
      images: 3,
      attributes: 3,
      variations: 5,
      shippings: 5,
      discounts: 5,
    },
  },
  needs: { currency: true },
  memory: "nothing between records",
  prepare,
  validate: { stripHtmlDescription: true },
  mapping: (o) => ({
    fields: {
      sku: "reference",
      name: "name",
      description: ["description/full", "description/short", "description"],
      url: "link",
      image: ["images/image[@type=main]", "images/image"],
      price: { compute: (f) => firstDiscount(f) ?? text(f, "price"), transforms: ["price"] },
      old_price: {
        compute: (f) => (firstDiscount(f) !== undefined ? text(f, "price") : undefined),
        transforms: ["price"],
      },
      currency: o.currency ? { const: o.currency } : "currency",
      category: { from: ["category/name", "category"], transforms: ["category"] },
      brand: ["brand/name", "brand"],
      gtin: "gtin",
      mpn: "mpn",
      availability: "quantity",
    },
  }),
};
