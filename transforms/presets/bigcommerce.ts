/**
 * BigCommerce product CSV export (Bulk Edit / Default template): rows by `Item Type` — `Product`
 * (with `Product ID, Product Name, Product Code/SKU, Brand Name, Product Description, Price, Sale
 * Price, Retail Price, Category, Product Image File - 1, Product URL, Current Stock Level, Track
 * Inventory, Allow Purchases?, Product UPC/EAN, GPS Manufacturer Part Number`), `SKU` rows (a
 * variant: its own SKU and stock, its price when given, the option in `Product Name` as `[S]Size=Small,[RB]Colour=Red`,
 * the rest inherited from its product) and `Rule` rows (pricing rules: not products, skipped as
 * BIGCOMMERCE_RULE_ROW). Both the product row and each SKU row are products.
 *
 * Product URLs are relative (`/linen-apron/`): pass --base-url; pass --currency. `Sale Price`
 * above 0 is the price and `Price` the old price. Memory: the current product's row.
 */
import type { Fields } from "../../src/core/record.js";
import { joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "../preset.js";
import { inherit, text } from "./util.js";

const OWN = new Set([
  "Item Type",
  "Product Code/SKU",
  "Product Name",
  "Sale Price",
  "Retail Price",
  "Current Stock Level",
  "Product UPC/EAN",
  "GPS Global Trade Item Number",
  "Product Image File - 1",
]);

/** `[S]Size=Small,[RB]Colour=Red` → `Small / Red`. */
function optionLabel(s: string): string {
  return s
    .split(",")
    .map(
      (p) =>
        p
          .replace(/^\s*\[[A-Z]+\]/, "")
          .split("=")[1]
          ?.trim() ?? "",
    )
    .filter((x) => x !== "")
    .join(" / ");
}

function prepare(): Prepare {
  let parent: Fields | undefined;
  return (fields, issues) => {
    const type = text(fields, "Item Type")?.toLowerCase();
    if (type === "rule") return new Skip("BIGCOMMERCE_RULE_ROW", "pricing rule row (not a product)");
    if (type !== "sku") {
      parent = fields;
      return fields;
    }
    if (parent === undefined) {
      issues.push({
        code: "BIGCOMMERCE_ORPHAN_SKU",
        severity: "warning",
        field: "Item Type",
        message: "SKU row before any Product row: it has no product to inherit from",
      });
      return fields;
    }
    const merged = inherit(fields, parent, (k) => OWN.has(k));
    const option = text(fields, "Product Name");
    const base = text(parent, "Product Name");
    merged["Product Name"] =
      base && option ? `${base} - ${optionLabel(option) || option}` : (base ?? option ?? "");
    if (
      text(fields, "Product Image File - 1") === undefined &&
      parent["Product Image File - 1"] !== undefined
    ) {
      merged["Product Image File - 1"] = parent["Product Image File - 1"];
    }
    return merged;
  };
}

function positive(f: Fields, key: string): string | undefined {
  const t = text(f, key);
  return t !== undefined && Number(t) > 0 ? t : undefined;
}

function availability(f: Fields): string | undefined {
  if (text(f, "Allow Purchases?")?.toUpperCase() === "N") return "out_of_stock";
  const track = text(f, "Track Inventory")?.toLowerCase() ?? "none";
  if (track === "none") return "in_stock";
  return text(f, "Current Stock Level");
}

function absolute(o: PresetOptions, path: string | undefined, media: boolean): string | undefined {
  if (path === undefined || /^https?:\/\//i.test(path)) return path;
  const base = media
    ? (o.mediaBaseUrl ?? (o.baseUrl ? `${o.baseUrl}/product_images` : undefined))
    : o.baseUrl;
  return base ? joinUrl(base, path) : path;
}

export const bigcommerce: Preset = {
  name: "bigcommerce",
  title: "BigCommerce product CSV export",
  signature: {
    required: [["Item Type"], ["Product Code/SKU", "Product ID"]],
    columns: {
      "Item Type": 10,
      "Product Code/SKU": 10,
      "Product Name": 3,
      "Brand Name": 3,
      "Product Description": 3,
      "Retail Price": 3,
      "Sale Price": 2,
      "Product Image File - 1": 10,
      "Product URL": 3,
      "Current Stock Level": 3,
      "Track Inventory": 5,
      "Allow Purchases?": 5,
      "Product Visible?": 5,
      "Product UPC/EAN": 5,
    },
  },
  needs: { baseUrl: true, currency: true },
  memory: "the current product's row",
  prepare,
  validate: { stripHtmlDescription: true },
  mapping: (o) => ({
    fields: {
      sku: ["Product Code/SKU", "Product ID"],
      name: "Product Name",
      description: "Product Description",
      url: { compute: (f) => absolute(o, text(f, "Product URL"), false) },
      image: {
        compute: (f) =>
          absolute(o, text(f, "Product Image File - 1") ?? text(f, "Product Image URL - 1"), true),
      },
      price: { compute: (f) => positive(f, "Sale Price") ?? text(f, "Price"), transforms: ["price"] },
      old_price: {
        compute: (f) =>
          positive(f, "Sale Price") !== undefined ? text(f, "Price") : positive(f, "Retail Price"),
        transforms: ["price"],
      },
      currency: o.currency ? { const: o.currency } : "Currency",
      category: {
        from: "Category",
        transforms: [{ split: ";" }, { replace: { pattern: "/", with: " > " } }, "category"],
      },
      brand: "Brand Name",
      gtin: ["Product UPC/EAN", "GPS Global Trade Item Number"],
      mpn: ["GPS Manufacturer Part Number", "Manufacturer Part Number"],
      availability: { compute: availability },
    },
  }),
};
