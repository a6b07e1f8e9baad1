/**
 * The network product, as PartnerBoost's Brand Datafeed API documents it (see
 * ../shared/reference/README.md): required name, url, image, sku, price (number), currency (ISO 4217);
 * optional description, category, old_price (number), brand, gtin, mpn, availability.
 *
 * The schema here is the shape of a valid product, with a description per field (it is what
 * `feedpipe schema` prints, see ./json-schema.ts). The rules with codes and severities live in
 * ./rules.ts and the fast per-record checks in ./validate.ts: the validator does not call zod per
 * record, it checks the same constraints by hand.
 */
import { z } from "zod";
import { CURRENCY_CODES } from "./currencies.js";
import { LIMITS } from "./rules.js";

/** The normalised availability values. Other values are kept and warned about (AVAILABILITY_UNKNOWN). */
export const AVAILABILITY_VALUES = ["in_stock", "out_of_stock", "preorder", "backorder"] as const;
export type Availability = (typeof AVAILABILITY_VALUES)[number];

/**
 * Absolute http(s) URL without whitespace or control characters (the validator uses the same regex).
 * Case-insensitive by character classes, not the `i` flag, so the JSON Schema `pattern` means the same.
 */
export const HTTP_URL_PATTERN =
  /^[hH][tT][tT][pP][sS]?:\/\/(?:[^\s/?#@\\\x00-\x1f\x7f]+@)?(?:\[[0-9a-fA-F:.]+\]|[a-zA-Z0-9\u00a1-\uffff_](?:[a-zA-Z0-9\u00a1-\uffff._-]*[a-zA-Z0-9\u00a1-\uffff])?)(?::\d{1,5})?(?:[/?#][^\s\x00-\x1f\x7f]*)?$/;

/**
 * The common shape of a product URL (`https://shop.example/p/1`: lower-case scheme and host, a path
 * of printable ASCII) as a regex that matches only what HTTP_URL_PATTERN matches, without its
 * optional user-info group (which backtracks over the whole host on every URL) and with one range
 * for the path instead of `[^\s...]`: several times faster on such URLs.
 */
const COMMON_HTTP_URL = /^https?:\/\/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?\/[!-~]*$/;

/** HTTP_URL_PATTERN.test(url), trying the common shape first (same result: property-tested). */
export function isHttpUrl(url: string): boolean {
  return COMMON_HTTP_URL.test(url) || HTTP_URL_PATTERN.test(url);
}

export const GTIN_PATTERN = /^(?:\d{8}|\d{12,14})$/;

const httpUrl = z.string().max(LIMITS.url).regex(HTTP_URL_PATTERN);

export const productSchema = z.object({
  sku: z
    .string()
    .min(1)
    .meta({
      description: `Your unique product id. Required. Unique within a feed (DUPLICATE_SKU). Longer than ${LIMITS.sku} characters is a warning (SKU_TOO_LONG: the id limit at Google and CJ).`,
      examples: ["SKU-00012345"],
    }),
  name: z
    .string()
    .min(1)
    .meta({
      description: `Product title, plain text. Required. HTML entities are decoded and whitespace collapsed. Longer than ${LIMITS.name} characters or containing HTML tags is a warning.`,
      examples: ["Classic Rain Jacket"],
    }),
  url: httpUrl.meta({
    description: `Product page: an absolute http(s) URL of at most ${LIMITS.url} characters, without spaces. Required.`,
    examples: ["https://shop.example.com/p/rain-jacket"],
  }),
  image: httpUrl.meta({
    description: `Main image: an absolute http(s) URL of at most ${LIMITS.url} characters, without spaces. Required.`,
    examples: ["https://cdn.example.com/img/rain-jacket.jpg"],
  }),
  price: z
    .number()
    .nonnegative()
    .meta({
      description:
        'Current selling price as a number. Required. Source text like "1,234.56", "$12.50", "1.234,56" (decimal comma option) or "15.00 USD" (--price-with-currency) is parsed.',
      examples: [49.95],
    }),
  currency: z
    .string()
    .regex(/^[A-Z]{3}$/)
    .meta({
      description:
        "ISO 4217 currency code of price and old_price, upper case (input is upper-cased). Required; may come from the price text.",
      enum: [...CURRENCY_CODES],
      examples: ["USD", "EUR"],
    }),
  description: z
    .string()
    .optional()
    .meta({
      description: `Product description, plain text (HTML removed when the strip-HTML option is on). Longer than ${LIMITS.description} characters is a warning.`,
    }),
  category: z
    .string()
    .optional()
    .meta({ description: "Category path as text.", examples: ["Apparel > Outerwear"] }),
  old_price: z
    .number()
    .nonnegative()
    .optional()
    .meta({
      description:
        "Regular (pre-sale) price as a number, same currency as price. Lower than price is a warning.",
      examples: [59.95],
    }),
  brand: z
    .string()
    .optional()
    .meta({ description: "Brand name.", examples: ["Northridge"] }),
  gtin: z
    .string()
    .regex(GTIN_PATTERN)
    .optional()
    .meta({
      description:
        "GTIN (EAN-8, UPC-A, EAN-13/ISBN-13 or GTIN-14): 8, 12, 13 or 14 digits with a valid GS1 check digit, spaces and dashes removed. Restricted-circulation and coupon prefixes are warnings.",
      examples: ["4006381333931"],
    }),
  mpn: z
    .string()
    .optional()
    .meta({ description: "Manufacturer part number.", examples: ["NR-RJ-100"] }),
  availability: z
    .string()
    .optional()
    .meta({
      description: `Stock status, normalised to one of ${AVAILABILITY_VALUES.join(", ")} (from "in stock", "InStock", schema.org URLs, yes/no, 1/0, ...). Other values are kept and warned about.`,
      examples: [...AVAILABILITY_VALUES],
    }),
});

/** The library's product type. */
export type Product = z.infer<typeof productSchema>;

/** Field order used by writers and documentation. */
export const PRODUCT_FIELDS = [
  "sku",
  "name",
  "url",
  "image",
  "price",
  "currency",
  "description",
  "category",
  "old_price",
  "brand",
  "gtin",
  "mpn",
  "availability",
] as const satisfies readonly (keyof Product)[];

export type ProductField = (typeof PRODUCT_FIELDS)[number];

export const REQUIRED_PRODUCT_FIELDS = ["name", "url", "image", "sku", "price", "currency"] as const;
