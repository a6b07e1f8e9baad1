/**
 * Awin advertiser product feed CSV: `product_id` / `merchant_product_id` / `aw_product_id`,
 * `product_name`, `description`, `price` or `search_price`, `currency`, `deep_link` /
 * `product_url` / `merchant_deep_link` / `aw_deep_link`, `image_url` / `merchant_image_url`,
 * `brand_name` or `brand`, `ean`, `mpn`, `in_stock`, `rrp_price` (→ old_price),
 * `category_name` / `merchant_category`.
 */
import type { Preset } from "../preset.js";
import { STOCK_FLAG_MAP } from "./util.js";

export const awin: Preset = {
  name: "awin",
  title: "Awin advertiser product feed CSV",
  signature: {
    required: [["product_name"], ["product_id", "merchant_product_id", "aw_product_id"]],
    columns: {
      product_name: 5,
      product_id: 2,
      merchant_product_id: 5,
      aw_product_id: 5,
      search_price: 5,
      store_price: 3,
      rrp_price: 3,
      deep_link: 3,
      merchant_deep_link: 5,
      aw_deep_link: 5,
      product_url: 2,
      image_url: 2,
      merchant_image_url: 5,
      aw_image_url: 5,
      brand_name: 3,
      merchant_category: 3,
      category_name: 3,
      in_stock: 2,
      ean: 1,
      currency: 1,
    },
  },
  validate: { priceWithCurrency: true },
  mapping: (o) => ({
    fields: {
      sku: ["product_id", "merchant_product_id", "aw_product_id"],
      name: "product_name",
      description: ["description", "product_short_description"],
      url: ["deep_link", "product_url", "merchant_deep_link", "aw_deep_link"],
      image: ["image_url", "merchant_image_url", "large_image", "aw_image_url"],
      price: ["price", "search_price", "store_price"],
      currency: o.currency ? { from: "currency", transforms: [{ default: o.currency }] } : "currency",
      old_price: ["rrp_price", "product_price_old"],
      brand: ["brand_name", "brand"],
      gtin: ["ean", "gtin", "upc", "isbn", "product_gtin"],
      mpn: ["mpn", "model_number"],
      category: ["category_name", "merchant_category", "merchant_product_category_path"],
      availability: { from: ["in_stock", "stock_status"], transforms: [{ map: STOCK_FLAG_MAP }] },
    },
  }),
};
