/**
 * Ceneo XML offers: `<offers><group name="..."><o id url price avail stock ...>` with `<cat>`
 * (`A/B/C`), `<name>`, `<imgs><main url/><i url/></imgs>`, `<desc>` and `<attrs><a name="Producent">`,
 * `<a name="EAN">`, `<a name="Kod_producenta">`. Ceneo lists prices in PLN, so PLN is the currency
 * unless --currency says otherwise. `avail`: 1 and 3 (days) in stock, 7 / 14 / 90 backorder,
 * 110 pre-order, 99 (no information) is reported as an unknown availability.
 */
import type { Preset } from "../preset.js";

export const ceneo: Preset = {
  name: "ceneo",
  title: "Ceneo XML offers (offers/o)",
  signature: {
    required: [["@id"], ["@price"], ["imgs", "@avail", "attrs"]],
    columns: {
      "@id": 2,
      "@url": 3,
      "@price": 3,
      "@avail": 5,
      "@stock": 2,
      "@basket": 3,
      "@set": 2,
      "@weight": 1,
      imgs: 10,
      cat: 5,
      attrs: 5,
      desc: 3,
      name: 1,
    },
  },
  memory: "nothing between records",
  validate: { stripHtmlDescription: true },
  mapping: (o) => ({
    fields: {
      sku: "@id",
      name: "name",
      description: "desc",
      url: "@url",
      image: ["imgs/main@url", "imgs/i@url"],
      price: { from: "@price", transforms: ["price"] },
      currency: { const: o.currency ?? "PLN" },
      category: { from: "cat", transforms: [{ replace: { pattern: "/", with: " > " } }, "category"] },
      brand: ["attrs/a[@name=Producent]", "attrs/a[@name=Marka]"],
      gtin: ["attrs/a[@name=EAN]", "attrs/a[@name=ISBN]"],
      mpn: "attrs/a[@name=Kod_producenta]",
      availability: {
        from: "@avail",
        transforms: [
          {
            map: {
              "1": "in_stock",
              "3": "in_stock",
              "7": "backorder",
              "14": "backorder",
              "90": "backorder",
              "99": "unknown",
              "110": "preorder",
            },
          },
        ],
      },
    },
  }),
};
