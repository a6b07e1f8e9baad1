import * as assert from "node:assert/strict";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import type { FieldValue, RecordBatch, SourceRecord } from "../src/core/record.js";
import { packBatch, transferList, unpackBatch } from "../src/formats/pack.js";

/** What crosses the thread boundary: a structured clone of the packed batch. */
function roundTrip(batch: RecordBatch, source: string): RecordBatch {
  const packed = packBatch(batch, source);
  return unpackBatch(structuredClone(packed, { transfer: transferList(packed) }));
}

const text = fc.oneof(
  fc.string({ unit: "grapheme" }),
  fc.string({ unit: "binary" }), // lone surrogates, NUL, any code unit
  fc.constantFrom("", " ", "SKU-1", '"quoted", with comma', "naïve €5 — 価格", "x".repeat(40)),
);
const key = fc.oneof(fc.string(), fc.constantFrom("__proto__", "constructor", "toString", "0", "10", "g:id"));
const leaf = fc.oneof(
  { weight: 6, arbitrary: text },
  fc.double(), // NaN, ±Infinity, -0 included
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
);
const value: fc.Arbitrary<FieldValue> = fc.letrec<{ v: FieldValue }>((tie) => ({
  v: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    leaf,
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(key, tie("v"), { maxKeys: 3, noNullPrototype: true }),
  ),
})).v;

const record = fc.record(
  {
    source: fc.constantFrom("feed.csv", "feed.csv", "other.csv"),
    index: fc.integer({ min: 1, max: 2 ** 40 }),
    line: fc.integer({ min: 1, max: 2 ** 40 }),
    offset: fc.integer({ min: 0, max: 2 ** 45 }), // byte offsets of files over 2 GiB
    fields: fc.dictionary(key, value, { maxKeys: 8, noNullPrototype: true }),
    problem: fc.record(
      {
        code: fc.constantFrom("CSV_RAGGED_ROW", "XML_MALFORMED"),
        severity: fc.constantFrom("error" as const, "warning" as const),
        message: fc.string(),
        value: fc.oneof(fc.string(), fc.integer()),
      },
      { noNullPrototype: true },
    ),
    raw: fc.string(),
  },
  { requiredKeys: ["source", "index", "fields"], noNullPrototype: true },
) as fc.Arbitrary<SourceRecord>;

describe("packBatch / unpackBatch", () => {
  it("round-trips any batch exactly: keys, key order, values, origins, problems", () => {
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), (batch) => {
        const back = roundTrip(batch, "feed.csv");
        // node:assert's strict deep equality: prototypes, -0, NaN, own keys (even "constructor").
        assert.deepStrictEqual(back, batch);
        for (let i = 0; i < batch.length; i++) {
          expect(Object.keys(back[i]!.fields)).toEqual(Object.keys(batch[i]!.fields));
        }
      }),
      { numRuns: 400 },
    );
  });

  it("keeps a __proto__ field as data (an own property, like JSON.parse makes)", () => {
    const fields = JSON.parse('{"__proto__":"x","sku":"A"}') as Record<string, FieldValue>;
    const [back] = roundTrip([{ source: "f", index: 1, line: 2, fields }], "f");
    expect(Object.hasOwn(back!.fields, "__proto__")).toBe(true);
    expect(Object.getPrototypeOf(back!.fields)).toBe(Object.prototype);
    expect(JSON.stringify(back!.fields)).toBe('{"__proto__":"x","sku":"A"}');
  });

  it("keeps string values as text and numbers as numbers", () => {
    const batch: RecordBatch = [
      {
        source: "f",
        index: 1,
        line: 2,
        fields: { price: "19.90", qty: 3, on: true, off: false, none: null },
      },
      { source: "f", index: 2, offset: 3_000_000_000, fields: { price: "", list: ["a", { b: 1 }] } },
    ];
    const back = roundTrip(batch, "f");
    expect(back).toStrictEqual(batch);
    expect(typeof back[0]!.fields.price).toBe("string");
    expect(back[1]!.line).toBeUndefined();
    expect(back[1]!.offset).toBe(3_000_000_000);
  });

  it("moves the typed arrays instead of copying them", () => {
    const packed = packBatch([{ source: "f", index: 1, fields: { a: "1", b: 2 } }], "f");
    const list = transferList(packed);
    expect(list).toHaveLength(3);
    structuredClone(packed, { transfer: list });
    expect(packed.recs.length).toBe(0); // detached: the buffer moved
  });
});
