/**
 * PartnerBoost's own product fields (identity): `sku, name, url, image, price, currency,
 * description, category, old_price, brand, gtin, mpn, availability`. Also reads PartnerBoost's
 * publisher datafeed downloads, which carry extra columns (tracking_url, merchant_name, ...).
 */
import { PRODUCT_FIELDS } from "../../schemas/product.js";
import type { MappingSpec } from "../mapping.js";
import type { Preset } from "../preset.js";

export const partnerboost: Preset = {
  name: "partnerboost",
  title: "PartnerBoost product fields (sku, name, url, image, price, currency, ...)",
  signature: {
    required: [["sku"], ["name"], ["price"], ["url"], ["image"]],
    columns: {
      sku: 3,
      name: 3,
      url: 3,
      image: 3,
      price: 2,
      currency: 3,
      old_price: 3,
      description: 1,
      category: 1,
      brand: 1,
      gtin: 1,
      mpn: 1,
      availability: 1,
      tracking_url: 2,
      merchant_name: 2,
      mcid: 2,
    },
  },
  mapping: (o): MappingSpec => {
    const fields: MappingSpec["fields"] = {};
    for (const f of PRODUCT_FIELDS) fields[f] = f;
    if (o.currency) fields.currency = { from: "currency", transforms: [{ default: o.currency }] };
    return { fields };
  },
};
