/**
 * The product as JSON Schema (draft 2020-12), generated from the zod schema so the two never drift.
 * `feedpipe schema` prints it; every field carries a description, and the rule codes are listed.
 */
import { z } from "zod";
import { productSchema } from "./product.js";
import { RULES } from "./rules.js";

export function productJsonSchema(): object {
  const schema = z.toJSONSchema(productSchema, { target: "draft-2020-12", io: "output" }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    $id: "https://feedpipe.dev/schemas/product.json",
    title: "feedpipe product",
    description:
      "A product as feedpipe sends it to a network (PartnerBoost Brand Datafeed fields). Values are normalised before validation; see x-feedpipe-rules for the rule codes a product can be reported with.",
    ...Object.fromEntries(Object.entries(schema).filter(([k]) => k !== "$schema")),
    "x-feedpipe-rules": Object.fromEntries(
      Object.entries(RULES).map(([code, r]) => [code, { severity: r.severity, description: r.description }]),
    ),
  };
}
