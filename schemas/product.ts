/**
 * The network product, as PartnerBoost's Brand Datafeed API documents it (see
 * ../shared/reference/README.md): required name, url, image, sku, price (number), currency (ISO 4217);
 * optional description, category, old_price (number), brand, gtin, mpn, availability.
 *
 * The schema here is the shape; the rules with codes and severities live beside it.
 */
import { z } from "zod";

export const productSchema = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  url: z.string().min(1),
  image: z.string().min(1),
  price: z.number().nonnegative(),
  currency: z.string().length(3),
  description: z.string().optional(),
  category: z.string().optional(),
  old_price: z.number().nonnegative().optional(),
  brand: z.string().optional(),
  gtin: z.string().optional(),
  mpn: z.string().optional(),
  availability: z.string().optional(),
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

export const REQUIRED_PRODUCT_FIELDS = ["name", "url", "image", "sku", "price", "currency"] as const;
