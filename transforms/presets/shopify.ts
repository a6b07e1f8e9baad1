/**
 * Shopify product CSV export. One product spans several rows with the same `Handle`: the first row
 * carries the product columns (Title, Body (HTML), Vendor, Type, Tags, ...) and the first variant;
 * further variant rows leave the product columns blank and inherit them here; further rows with no
 * variant at all only add gallery images (`Image Src`) and are not products: they are counted as
 * skipped (`SHOPIFY_IMAGE_ROW`), never dropped silently.
 *
 * Shopify exports have no product URL and no currency: pass the store base URL (`--base-url`,
 * giving `<base>/products/<handle>`) and `--currency`, or the products are rejected with
 * REQUIRED_MISSING.
 *
 * Memory: only the current product's first row is kept (variants follow their product in the file).
 */
import type { Fields } from "../../src/core/record.js";
import { joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "../preset.js";
import { inherit, text } from "./util.js";

const OWN =
  /^(?:Variant |Option\d Value$|Image Position$|Image Alt Text$|Cost per item$|.* \/ International$)/;

function variantName(f: Fields): string | undefined {
  const title = text(f, "Title");
  if (title === undefined) return undefined;
  const opts: string[] = [];
  for (const k of ["Option1 Value", "Option2 Value", "Option3 Value"]) {
    const v = text(f, k);
    if (v !== undefined && v !== "Default Title") opts.push(v);
  }
  return opts.length === 0 ? title : `${title} - ${opts.join(" / ")}`;
}

function availability(f: Fields): string | undefined {
  const qtyText = text(f, "Variant Inventory Qty");
  const tracked =
    "Variant Inventory Tracker" in f ? text(f, "Variant Inventory Tracker") !== undefined : true;
  if (!tracked) return "in_stock";
  if (qtyText === undefined) return undefined;
  const qty = Number(qtyText);
  if (!Number.isFinite(qty)) return qtyText;
  if (qty > 0) return "in_stock";
  return text(f, "Variant Inventory Policy")?.toLowerCase() === "continue" ? "backorder" : "out_of_stock";
}

function prepare(_o: PresetOptions): Prepare {
  let handle: string | undefined;
  let parent: Fields | undefined;
  return (fields, issues) => {
    const h = text(fields, "Handle");
    if (h === undefined || h !== handle || parent === undefined) {
      // First row of a product (or a row without a handle): it is the product row itself.
      handle = h;
      parent = fields;
      if (h !== undefined && text(fields, "Title") === undefined) {
        issues.push({
          code: "SHOPIFY_ORPHAN_VARIANT",
          severity: "warning",
          field: "Handle",
          message: `row of product "${h}" does not follow its product row (Title is blank): keep each product's rows together`,
          value: h,
        });
      }
      return fields;
    }
    const hasVariant =
      text(fields, "Variant SKU") !== undefined ||
      text(fields, "Variant Price") !== undefined ||
      text(fields, "Option1 Value") !== undefined;
    if (!hasVariant) {
      const img = text(fields, "Image Src");
      return new Skip(
        "SHOPIFY_IMAGE_ROW",
        img
          ? `extra image row of product "${h}" (not a product)`
          : `row of product "${h}" without a variant (not a product)`,
      );
    }
    const merged = inherit(fields, parent, (k) => OWN.test(k) || k === "Image Src");
    // A variant row's own Image Src is just the next gallery image: use the product's main image.
    const main = parent["Image Src"];
    if (main !== undefined && text(parent, "Image Src") !== undefined) merged["Image Src"] = main;
    return merged;
  };
}

export const shopify: Preset = {
  name: "shopify",
  title: "Shopify product CSV export",
  signature: {
    required: [["Handle"], ["Variant Price", "Variant SKU"]],
    columns: {
      Handle: 5,
      Title: 1,
      "Body (HTML)": 5,
      Vendor: 3,
      "Variant SKU": 5,
      "Variant Price": 5,
      "Variant Compare At Price": 5,
      "Variant Barcode": 3,
      "Image Src": 3,
      "Option1 Name": 2,
      "Option1 Value": 2,
      "Variant Inventory Qty": 2,
    },
  },
  needs: { baseUrl: true, currency: true },
  memory: "the current product's first row only",
  prepare,
  mapping: (o) => ({
    fields: {
      sku: "Variant SKU",
      name: { compute: variantName },
      description: { from: "Body (HTML)", transforms: ["strip_html"] },
      url: o.baseUrl
        ? {
            compute: (f) =>
              text(f, "Handle") ? joinUrl(o.baseUrl!, `products/${text(f, "Handle")}`) : undefined,
          }
        : { from: ["URL", "Product URL"] },
      image: ["Variant Image", "Image Src"],
      price: "Variant Price",
      currency: o.currency ? { const: o.currency } : ["Currency", "Variant Currency"],
      old_price: "Variant Compare At Price",
      category: ["Product Category", "Type"],
      brand: "Vendor",
      gtin: "Variant Barcode",
      mpn: ["Variant MPN", "Google Shopping / MPN"],
      availability: { compute: availability },
    },
  }),
};
