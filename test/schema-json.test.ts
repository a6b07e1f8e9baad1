import { describe, expect, it } from "vitest";
import { CURRENCY_CODES } from "../schemas/currencies.js";
import { productJsonSchema } from "../schemas/json-schema.js";
import { PRODUCT_FIELDS, productSchema, REQUIRED_PRODUCT_FIELDS } from "../schemas/product.js";
import { RULE_CODES } from "../schemas/rules.js";
import { validateCandidate } from "../schemas/validate.js";

type JsonSchemaProp = {
  type?: string;
  description?: string;
  enum?: string[];
  pattern?: string;
  maxLength?: number;
};

describe("productJsonSchema", () => {
  const schema = productJsonSchema() as {
    $schema: string;
    title: string;
    type: string;
    properties: Record<string, JsonSchemaProp>;
    required: string[];
    "x-feedpipe-rules": Record<string, { severity: string; description: string }>;
  };

  it("is a draft 2020-12 object schema with every product field, in order", () => {
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.type).toBe("object");
    expect(Object.keys(schema.properties)).toEqual([...PRODUCT_FIELDS]);
    expect([...schema.required].sort()).toEqual([...REQUIRED_PRODUCT_FIELDS].sort());
  });

  it("describes every field", () => {
    for (const field of PRODUCT_FIELDS) {
      expect(schema.properties[field]?.description, field).toMatch(/\w{4,}/);
    }
  });

  it("carries the constraints: numbers, currency list, URL limit, GTIN pattern", () => {
    expect(schema.properties.price?.type).toBe("number");
    expect(schema.properties.old_price?.type).toBe("number");
    expect(schema.properties.currency?.enum).toEqual([...CURRENCY_CODES]);
    expect(schema.properties.url?.maxLength).toBe(2000);
    expect(schema.properties.image?.pattern).toBeDefined();
    expect(new RegExp(schema.properties.gtin?.pattern ?? "^$").test("4006381333931")).toBe(true);
    // The URL pattern means the same in a JSON Schema validator (no regex flags there).
    const url = new RegExp(schema.properties.url?.pattern ?? "^$", "u");
    expect(url.test("HTTPS://Shop.Example.com/p/1")).toBe(true);
    expect(url.test("https://shop.example.com/p 1")).toBe(false);
    expect(url.test("ftp://shop.example.com/p")).toBe(false);
  });

  it("lists the rule codes", () => {
    expect(Object.keys(schema["x-feedpipe-rules"])).toEqual(RULE_CODES);
  });

  it("is plain JSON and stable", () => {
    expect(JSON.parse(JSON.stringify(schema))).toEqual(schema);
    expect(productJsonSchema()).toEqual(schema);
  });
});

describe("productSchema agrees with the validator", () => {
  it("a product the validator returns passes the zod schema", () => {
    const r = validateCandidate(
      {
        sku: "A-1",
        name: "Caf&eacute; Mug",
        url: "https://shop.example.com/p/a-1",
        image: "https://cdn.example.com/a-1.jpg",
        price: "$12.50",
        currency: "usd",
        gtin: "036000291452",
        availability: "InStock",
        old_price: "15",
      },
      {},
    );
    expect(r.product).toBeDefined();
    expect(productSchema.safeParse(r.product).success).toBe(true);
  });
});
