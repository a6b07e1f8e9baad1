/**
 * PrestaShop product CSV (the back office's product import/export layout, `;`-separated):
 * `Product ID; Active (0/1); Name *; Categories (x,y,z...); Price tax excluded` (or `Price tax
 * included`), `Reference #; Manufacturer; EAN13; UPC; Quantity; Summary; Description; URL
 * rewritten; Image URLs (x,y,z...)`. Inactive products (`Active (0/1)` = 0) are not published and
 * are counted as skipped (PRESTASHOP_INACTIVE).
 *
 * The export has no product URL and no currency: with --base-url the URL is PrestaShop's default
 * friendly URL `<base>/<id>-<URL rewritten>.html`; pass --currency. Memory: none.
 */
import { joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "../preset.js";
import { text } from "./util.js";

const CATEGORIES = "Categories (x,y,z...)";

function prepare(): Prepare {
  return (fields) => {
    const active = text(fields, "Active (0/1)");
    if (active === "0") {
      const sku = text(fields, "Reference #") ?? text(fields, "Product ID");
      return new Skip("PRESTASHOP_INACTIVE", `product ${sku ?? "?"} is not active (Active (0/1) = 0)`, sku);
    }
    return fields;
  };
}

function url(o: PresetOptions) {
  return (f: Parameters<typeof text>[0]) => {
    const id = text(f, "Product ID");
    const rewrite = text(f, "URL rewritten");
    if (!o.baseUrl || id === undefined || rewrite === undefined) return undefined;
    return joinUrl(o.baseUrl, `${id}-${rewrite}.html`);
  };
}

export const prestashop: Preset = {
  name: "prestashop",
  title: "PrestaShop product CSV export",
  signature: {
    required: [["Product ID"], ["Name *", "Name"], ["Price tax excluded", "Price tax included"]],
    columns: {
      "Product ID": 3,
      "Active (0/1)": 5,
      "Name *": 5,
      [CATEGORIES]: 10,
      "Price tax excluded": 5,
      "Price tax included": 5,
      "Tax rules ID": 5,
      "Wholesale price": 3,
      "Reference #": 5,
      "Supplier reference #": 3,
      EAN13: 3,
      "URL rewritten": 5,
      "Image URLs (x,y,z...)": 10,
      Manufacturer: 1,
      Quantity: 1,
      Summary: 1,
    },
  },
  needs: { baseUrl: true, currency: true },
  memory: "nothing between records",
  prepare,
  validate: { stripHtmlDescription: true },
  mapping: (o) => ({
    fields: {
      sku: ["Reference #", "Product ID"],
      name: ["Name *", "Name"],
      description: ["Description", "Summary"],
      url: o.baseUrl ? { compute: url(o) } : { from: ["Product URL", "URL"] },
      image: { from: ["Image URLs (x,y,z...)", "Image URL"], transforms: [{ first: "," }] },
      price: { from: ["Price tax included", "Price tax excluded"], transforms: ["price"] },
      currency: o.currency ? { const: o.currency } : "Currency",
      category: { from: CATEGORIES, transforms: [{ replace: { pattern: ",", with: " > " } }, "category"] },
      brand: "Manufacturer",
      gtin: ["EAN13", "UPC", "ISBN"],
      mpn: ["MPN", "Supplier reference #"],
      availability: "Quantity",
    },
  }),
};
