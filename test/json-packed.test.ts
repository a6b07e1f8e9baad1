/**
 * The reader thread's JSON array path (src/formats/json-packed.ts: flat object elements scanned
 * straight into packed batches, the rest cut and parsed as in-process) against the in-process
 * reader (readJson, runs and all): after a structured clone and unpackBatch, the same batches of
 * records (keys and their order, values and their types, index, offset, problems, raw text), the
 * same counters and the same error (code, message, context), for random documents (top-level arrays
 * and arrays inside envelopes, damaged and truncated ones), random chunkings and size caps.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { RecordBatch } from "../src/core/record.js";
import { readJson } from "../src/formats/json.js";
import { JsonFlatSink, readJsonPacked } from "../src/formats/json-packed.js";
import { transferList, unpackBatch } from "../src/formats/pack.js";
import type { ReaderStats } from "../src/formats/reader.js";
import {
  braces,
  caps,
  catalogObject,
  countFastPath,
  cutsOf,
  expectSameBatches,
  objectText,
} from "./helpers/flat-json.js";
import { pieces } from "./helpers/text.js";

const SOURCE = "feed.json";

interface Outcome {
  batches: RecordBatch[];
  stats: ReaderStats;
  error?: { code: string; message: string; context: unknown } | undefined;
}

async function collect<T>(
  stream: AsyncIterable<T>,
  each: (b: T) => RecordBatch,
): Promise<Omit<Outcome, "stats">> {
  const batches: RecordBatch[] = [];
  try {
    for await (const b of stream) batches.push(each(b));
  } catch (err) {
    if (!(err instanceof FeedpipeError)) throw err;
    return { batches, error: { code: err.code, message: err.message, context: err.context } };
  }
  return { batches };
}

async function inProcess(text: string, cuts: number[], max: number, jsonPath: string): Promise<Outcome> {
  const stream = readJson(pieces(text, cuts), { source: SOURCE, maxRecordBytes: max, jsonPath });
  const out = await collect(stream, (b) => b);
  return { ...out, stats: { ...stream.stats } };
}

async function packed(text: string, cuts: number[], max: number, jsonPath: string): Promise<Outcome> {
  const stream = readJsonPacked(pieces(text, cuts), { source: SOURCE, maxRecordBytes: max, jsonPath });
  // What crosses the thread boundary: a structured clone, typed arrays moved.
  const out = await collect(stream, (p) => unpackBatch(structuredClone(p, { transfer: transferList(p) })));
  return { ...out, stats: { ...stream.stats } };
}

async function expectSame(text: string, cuts: number[], max = 1 << 20, jsonPath = ""): Promise<Outcome> {
  const want = await inProcess(text, cuts, max, jsonPath);
  const got = await packed(text, cuts, max, jsonPath);
  expectSameBatches(got, want, text);

  return got;
}

// --- random documents ---------------------------------------------------------------------------

const isJson = (s: string): boolean => {
  try {
    JSON.parse(s);
    return true;
  } catch {
    return false;
  }
};

/** Elements: mostly valid flat objects, some nested ones and non-objects, a few broken ones. */
const element = fc.oneof(
  { weight: 10, arbitrary: objectText(fc.constant("")).filter(isJson) },
  { weight: 6, arbitrary: catalogObject.filter(isJson) },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: objectText(fc.constantFrom("", "", "", "}", " x", ":1", "]")) },
  // A raw control character inside a string (invalid JSON; the flat scanner does not look inside).
  {
    weight: 1,
    arbitrary: fc
      .tuple(catalogObject.filter(isJson), fc.constantFrom("\u0000", "\u0001", "\t", "\n", "\r", "\u001f"))
      .map(([o, c]) => {
        const at = o.indexOf(':"');
        return at < 0 ? `{"sku":"${c}"}` : o.slice(0, at + 2) + c + o.slice(at + 2);
      }),
  },
);
const separator = fc.constantFrom(",", ",", ",\n", ",\n", ",\r\n", " , ", ",\n  ", "\n,", "\t,\t");

/** Where the record array sits, and the path to it. */
const envelope = fc.constantFrom(
  { before: "[", after: "]", jsonPath: "" },
  { before: "\n[\n", after: "\n]\n", jsonPath: "" },
  {
    before: '{"meta":{"n":1,"list":[{"a":"]}"}]},"products":[',
    after: '],"after":{"x":[1,2]}}',
    jsonPath: "products",
  },
  { before: '{"data":{"note":"[{\\"x\\":1}]","products":[\n', after: "\n]}}", jsonPath: "data.products" },
);

const document = fc
  .tuple(
    envelope,
    fc.array(fc.tuple(element, separator), { maxLength: 20 }),
    fc.boolean(),
    fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, fc.nat()),
  )
  .map(([{ before, after, jsonPath }, elements, bom, cut]) => {
    const body = elements.map(([e, sep], i) => (i === 0 ? e : sep + e)).join("");
    let text = (bom ? "\ufeff" : "") + before + body + after;
    // Sometimes truncated (anywhere, the empty document aside).
    if (cut >= 0) text = text.slice(0, 1 + (cut % text.length));
    return { text, jsonPath };
  });

const withCuts = document.chain((doc) => fc.tuple(fc.constant(doc), cutsOf(doc.text), caps));

describe("JSON arrays scanned into packed batches (the reader thread)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("gives the in-process reader's batches, records, problems, counters and errors for any document and chunking", async () => {
    // Count the elements the flat scanner takes itself: the property must exercise both paths.
    const counts = countFastPath(JsonFlatSink.prototype, "element", (end) => (end as number) >= 0);
    let errors = 0;
    await fc.assert(
      fc.asyncProperty(withCuts, async ([{ text, jsonPath }, cuts, max]) => {
        const got = await expectSame(text, cuts, max, jsonPath);
        if (got.error !== undefined) errors++;
      }),
      { numRuns: 1500 },
    );
    expect(counts.taken).toBeGreaterThan(counts.left / 4);
    expect(counts.left).toBeGreaterThan(counts.taken / 20);
    expect(errors).toBeGreaterThan(100);
    expect(errors).toBeLessThan(1400);
  });

  it("gives the same records and errors on hand-picked edges", async () => {
    const flat = '{"sku":"A","price":19.9,"on":true,"off":false,"none":null}';
    const edges = [
      flat,
      '{"sku":"B","sku":"C"}',
      '{"b":1,"10":2,"a":3,"0":4}',
      '{"__proto__":"x","sku":"D"}',
      '{"q":"say \\"hi\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\\uD83D\\uDE00 \\uDC00"}',
      '{"n":-0,"m":1e400,"k":9007199254740993,"j":0.1,"i":-123456789012345,"h":1234567890123456}',
      '{ "sku" : "E" , "price" : 1 }',
      '{"sku":"F",\n"price":2}',
      '{\t"sku":"G"}',
      '{"nested":{"a":1},"list":[1,"2"]}',
      "[1,2]",
      '"x"',
      "42",
      "null",
      "{}",
      '{"sku":"' + "x".repeat(60) + '"}',
      flat,
    ];
    const docs: [string, string][] = [
      ["\ufeff[" + edges.join(",\n") + "]", ""],
      ["[" + edges.join(",") + "]", ""],
      ['{"items":[' + edges.join(" , ") + '],"n":1}', "items"],
      // Broken: a raw control character in a string, a raw newline in a string, an element that
      // does not end, a truncated document, a bad literal, a stray closing brace.
      ["[" + flat + ',{"sku":"H\u0001I"},' + flat + "]", ""],
      ["[" + flat + ',{"sku":"H\nI"},' + flat + "]", ""],
      ["[" + flat + ',{"sku":"J"' + flat + "]", ""],
      ["[" + flat + "," + flat.slice(0, 30), ""],
      ["[" + flat + ',{"on":tru},' + flat + "]", ""],
      ["[" + flat + "}," + flat + "]", ""],
      ['{"items":{"a":1}}', "items"],
      ['{"other":[' + flat + "]}", "items"],
    ];
    for (const [text, jsonPath] of docs) {
      const every = Array.from({ length: text.length }, (_, i) => i);
      for (const cuts of [[], [1, 2, 3, 50, 51, 200], braces(text), every]) {
        await expectSame(text, cuts, 1 << 20, jsonPath);
        await expectSame(text, cuts, 40, jsonPath);
      }
    }
  });

  it("reads a catalog-shaped array without JSON.parse, minified or one element a line", async () => {
    const elements = Array.from(
      { length: 400 },
      (_, i) =>
        `{"sku":"SKU-${i}","name":"Nordic ${i % 50 === 0 ? '\\"Lamp\\" ' : ""}${i}","price":"${i}.99",` +
        `"stock":${i},"ratio":${i / 7},"on":${i % 2 === 0},"gtin":null,"title":"naïve — 価格 😀"}`,
    );
    for (const text of ["[" + elements.join(",") + "]", "[\n" + elements.join(",\n") + "\n]\n"]) {
      const cuts = [4096, 8192, 20_000];
      const parse = vi.spyOn(JSON, "parse");
      const got = await packed(text, cuts, 1 << 20, "");
      // Only the elements cut by a chunk boundary: offered as their own text, also scanned.
      expect(parse).not.toHaveBeenCalled();
      parse.mockRestore();
      assert.deepStrictEqual(got, await inProcess(text, cuts, 1 << 20, ""));
      expect(got.batches).toHaveLength(4);
    }
  });
});
