// The zod schema a developer writes first (URL checks included), shared by the naive pipelines.
import { z } from "zod";

const num = z.preprocess(
  (v) => (v === "" || v === undefined ? undefined : Number(String(v).split(" ")[0])),
  z.number().nonnegative(),
);
export const naiveProduct = z.object({
  sku: z.string().min(1),
  name: z.string().min(1),
  url: z.string().url(),
  image: z.string().url(),
  price: num,
  currency: z.string().length(3),
  description: z.string().optional(),
  category: z.string().optional(),
  old_price: num.optional(),
  brand: z.string().optional(),
  gtin: z
    .string()
    .regex(/^\d{8,14}$/)
    .optional(),
  mpn: z.string().optional(),
  availability: z.string().optional(),
});
export const COLUMNS = [
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
];
