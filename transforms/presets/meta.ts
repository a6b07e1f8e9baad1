/**
 * Meta (Facebook/Instagram) catalog CSV: Google-style attributes (`id, title, description,
 * availability, condition, price "9.99 USD", sale_price, link, image_link, brand, gtin`) plus
 * Meta's own columns (`fb_product_category`, flattened lists such as `image[0].url`).
 */
import type { Preset } from "../preset.js";
import { googleStyleMapping } from "./google-merchant.js";

export const meta: Preset = {
  name: "meta",
  title: "Meta catalog CSV",
  signature: {
    required: [
      ["id"],
      ["title"],
      ["price"],
      [
        "fb_product_category",
        "image[0].url",
        "quantity_to_sell_on_facebook",
        "rich_text_description",
        "video[0].url",
        "applink.ios_url",
        "applink.android_url",
        "commerce_tax_category",
        "internal_label",
      ],
    ],
    columns: {
      id: 2,
      title: 2,
      description: 1,
      availability: 2,
      condition: 2,
      price: 1,
      link: 2,
      image_link: 3,
      brand: 1,
      fb_product_category: 10,
      "image[0].url": 10,
      quantity_to_sell_on_facebook: 10,
      rich_text_description: 8,
      "video[0].url": 8,
      internal_label: 5,
      status: 1,
    },
  },
  validate: { priceWithCurrency: true },
  mapping: (o) => googleStyleMapping(o, { image: ["image[0].url"] }),
};
