/**
 * Heureka (heureka.cz / heureka.sk) and Zboží.cz XML feeds: `<SHOP><SHOPITEM>` with `ITEM_ID,
 * PRODUCTNAME (or PRODUCT), DESCRIPTION, URL, IMGURL, PRICE_VAT, EAN, PRODUCTNO, MANUFACTURER,
 * CATEGORYTEXT` (`A | B | C`), `DELIVERY_DATE` (0 = in stock, days, or a date = pre-order).
 * Zboží.cz's `<VARIANT>` elements inside a SHOPITEM (each with its own ITEM_ID, PRODUCTNAMEEXT,
 * PRICE_VAT, EAN, URL, IMGURL) are products of their own: the SHOPITEM is counted as skipped
 * (HEUREKA_VARIANTS) and each VARIANT inherits what it does not state.
 *
 * The feeds state no currency (CZK on the .cz sites, EUR on heureka.sk): pass --currency.
 * Memory: none kept between records.
 */
import type { Fields } from "../../src/core/record.js";
import { Expand, type Prepare, type Preset, Skip } from "../preset.js";
import { elements, text } from "./util.js";

function deliveryToAvailability(f: Fields): string | undefined {
  const d = text(f, "DELIVERY_DATE");
  if (d === undefined) return undefined;
  if (/^0+$/.test(d)) return "in_stock";
  if (/^\d+$/.test(d)) return "backorder";
  if (/^\d{4}-\d{2}-\d{2}/.test(d)) return "preorder";
  return d;
}

function prepare(): Prepare {
  return (fields) => {
    const variants = elements(fields.VARIANT);
    if (variants.length === 0) return fields;
    const { VARIANT: _, ...parent } = fields;
    const base = text(parent, "PRODUCTNAME") ?? text(parent, "PRODUCT");
    const items = variants.map((v) => {
      const merged: Fields = { ...parent, ...v };
      const ext = text(v, "PRODUCTNAMEEXT");
      if (base !== undefined && ext !== undefined) merged.PRODUCTNAME = `${base} ${ext}`;
      delete merged.PRODUCT;
      return merged;
    });
    const id = text(parent, "ITEM_ID") ?? text(parent, "ITEMGROUP_ID");
    return new Expand(
      new Skip(
        "HEUREKA_VARIANTS",
        `SHOPITEM${id ? ` ${id}` : ""} holds ${variants.length} VARIANT items: each is a product`,
        id,
      ),
      items,
    );
  };
}

export const heureka: Preset = {
  name: "heureka",
  title: "Heureka / Zboží.cz XML feed (SHOP/SHOPITEM)",
  signature: {
    required: [["PRICE_VAT"], ["PRODUCTNAME", "PRODUCT"], ["URL", "VARIANT"]],
    columns: {
      ITEM_ID: 5,
      PRODUCTNAME: 5,
      PRODUCT: 3,
      PRICE_VAT: 10,
      IMGURL: 5,
      IMGURL_ALTERNATIVE: 3,
      CATEGORYTEXT: 5,
      DELIVERY_DATE: 5,
      MANUFACTURER: 3,
      PRODUCTNO: 3,
      ITEMGROUP_ID: 3,
      VARIANT: 5,
      HEUREKA_CPC: 5,
      EAN: 1,
    },
  },
  needs: { currency: true },
  memory: "nothing between records",
  prepare,
  validate: { stripHtmlDescription: true },
  mapping: (o) => ({
    fields: {
      sku: ["ITEM_ID", "VARIANT_ID"],
      name: ["PRODUCTNAME", "PRODUCT"],
      description: "DESCRIPTION",
      url: "URL",
      image: "IMGURL",
      price: { from: "PRICE_VAT", transforms: ["price"] },
      old_price: { from: ["OLDPRICE_VAT", "PRICE_VAT_OLD"], transforms: ["price"] },
      currency: o.currency ? { const: o.currency } : "CURRENCY",
      category: { from: "CATEGORYTEXT", transforms: ["category"] },
      brand: "MANUFACTURER",
      gtin: ["EAN", "ISBN"],
      mpn: "PRODUCTNO",
      availability: { compute: deliveryToAvailability },
    },
  }),
};
