/**
 * The reader thread's plain-text marks (src/formats/plain-marks.ts): a bit may only vouch for a
 * value the validator's own test passes, and it must be the value the mapping takes (the first
 * present, non-blank source). Checked against the mapper itself over random records, on fixed
 * cases, through the validator, and for which mappings the pipeline asks for marks at all.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { compileValidator } from "../schemas/validate.js";
import { isPlainText, PLAIN_FIELDS, type PlainSources } from "../src/core/plain-text.js";
import type { FieldValue, SourceRecord } from "../src/core/record.js";
import { packBatch, transferList, unpackBatch } from "../src/formats/pack.js";
import { markPlain } from "../src/formats/plain-marks.js";
import { compileMapping, getPreset, type MappingSpec, plainSources } from "../transforms/index.js";

const KEYS = ["title", "g:title", "description", "summary", "brand", "cat", "mpn", "other"];

const texts = fc.oneof(
  fc.constantFrom(
    "",
    "   ",
    "\t",
    "\u00a0",
    'Plain words, with "quotes" and ünïcode-latin',
    "Two  spaces",
    "Tom &amp; Jerry",
    "<p>html</p>",
    " padded ",
    "\tleading tab",
    "価格 non-latin",
    "line\nbreak",
    "x".repeat(40),
  ),
  fc.string({ unit: "grapheme-ascii", maxLength: 30 }),
  fc.string({ unit: "binary", maxLength: 12 }),
);
const values: fc.Arbitrary<FieldValue> = fc.oneof(
  { weight: 8, arbitrary: texts },
  fc.integer(),
  fc.constant(null),
  fc.boolean(),
  fc.record({ "#text": texts }),
  fc.array(texts, { maxLength: 2 }),
);
const fieldsArb = fc.dictionary(fc.constantFrom(...KEYS), values, { maxKeys: KEYS.length });

function records(list: Record<string, FieldValue>[]): SourceRecord[] {
  return list.map((fields, i) => ({ source: "feed.csv", index: i + 1, line: i + 2, fields }));
}

/** Pack, mark, and unpack across a structured clone, as the reader thread and main thread do. */
function marked(list: Record<string, FieldValue>[], sources: PlainSources): SourceRecord[] {
  const packed = packBatch(records(list), "feed.csv");
  markPlain(packed, sources);
  return unpackBatch(structuredClone(packed, { transfer: transferList(packed) }));
}

const SPEC: MappingSpec = {
  fields: {
    name: ["g:title", "title"],
    description: ["description", "summary"],
    category: "cat",
    brand: "brand",
    mpn: ["mpn", "other"],
  },
};
const SOURCES: PlainSources = PLAIN_FIELDS.map((f) => {
  const s = SPEC.fields[f];
  return typeof s === "string" ? [s] : (s as string[]);
});

describe("plain-text marks", () => {
  it("vouch only for the value the mapper takes, and only when the validator's test passes it", () => {
    const map = compileMapping(SPEC);
    fc.assert(
      fc.property(fc.array(fieldsArb, { minLength: 1, maxLength: 8 }), (list) => {
        const out = marked(list, SOURCES);
        for (let i = 0; i < out.length; i++) {
          const mark = out[i]!.plain ?? 0;
          const candidate = map(list[i]!);
          PLAIN_FIELDS.forEach((field, bit) => {
            if ((mark & (1 << bit)) === 0) return;
            const v = candidate[field];
            expect(typeof v).toBe("string");
            expect(isPlainText(v as string)).toBe(true);
          });
        }
      }),
      { numRuns: 400 },
    );
  });

  it("mark the plain values they can see, fallbacks included", () => {
    const out = marked(
      [
        {
          "g:title": "Jacket",
          description: 'Warm, "premium" and naïve',
          cat: "A > B",
          brand: "Lumen",
          mpn: "M1",
        },
        { "g:title": "  ", title: "Fallback title", description: "", summary: "From the summary" },
        { title: "Tom &amp; Jerry", description: "Two  spaces", brand: "価格", cat: "<b>x</b>" },
        { "g:title": 42, title: "never reached", description: { "#text": "object" } as FieldValue },
        { other: "only the fallback", mpn: null },
      ],
      SOURCES,
    );
    const bits = out.map((r) => r.plain);
    expect(bits[0]).toBe(0b11111);
    expect(bits[1]).toBe(0b00011); // name from title, description from summary
    expect(bits[2]).toBe(0); // entity, double space, HTML, non-Latin-1: the validator decides
    expect(bits[3]).toBe(0); // a number and an object are left to the validator
    expect(bits[4]).toBe(0); // mpn null: the reader does not guess what the mapper makes of it
  });

  it("are skipped by the validator only where set", () => {
    const validate = compileValidator();
    const base = {
      sku: "S1",
      name: "Tom &amp; Jerry",
      url: "https://shop.example.com/p/1",
      image: "https://shop.example.com/i/1.jpg",
      price: "10.00",
      currency: "USD",
      description: "Two  spaces &amp; an entity",
    };
    const tested = validate(base, 0).product!;
    expect(tested.name).toBe("Tom & Jerry");
    expect(tested.description).toBe("Two spaces & an entity");
    // A set bit is taken at its word (the reader only sets it for text the test passes).
    const trusted = validate(base, 0b11).product!;
    expect(trusted.name).toBe("Tom &amp; Jerry");
    expect(trusted.description).toBe("Two  spaces &amp; an entity");
  });

  it("are asked for only where the mapping reads keys as they are", () => {
    const generic = plainSources(getPreset("partnerboost"), undefined, {}, ["sku", "name", "description"]);
    expect(generic?.[PLAIN_FIELDS.indexOf("description")]).toContain("description");
    // A preset hook may change the record before mapping: no marks.
    expect(plainSources(getPreset("shopify"), undefined, {}, ["Handle", "Title"])).toBeUndefined();
    const mapping = {
      file: "m.yaml",
      preset: undefined,
      options: {},
      spec: {
        fields: {
          name: { from: "Title", transforms: ["trim"] },
          description: "info.text",
          brand: { from: ["Brand", "Maker"] },
          mpn: "MPN",
        },
      },
    } as unknown as Parameters<typeof plainSources>[1];
    const s = plainSources(undefined, mapping, {}, ["title", "brand", "maker", "mpn"])!;
    expect(s[PLAIN_FIELDS.indexOf("name")]).toBeUndefined(); // transforms
    expect(s[PLAIN_FIELDS.indexOf("description")]).toBeUndefined(); // a path into nested values
    expect(s[PLAIN_FIELDS.indexOf("brand")]).toEqual(["brand", "maker"]); // resolved as the mapper does
    expect(s[PLAIN_FIELDS.indexOf("mpn")]).toEqual(["mpn"]);
  });
});
