/**
 * The reader thread's NDJSON path (src/formats/ndjson-scan.ts: flat lines scanned straight into
 * packed batches, the rest through JSON.parse) against the in-process reader (readNdjson): after
 * a structured clone and unpackBatch, the same batches of records (keys and their order, values
 * and their types, index, line, problems, raw text) and the same counters, for random lines and
 * random chunkings.
 */
import * as assert from "node:assert/strict";
import fc from "fast-check";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { RecordBatch } from "../src/core/record.js";
import { readNdjson } from "../src/formats/ndjson.js";
import { NdjsonScanner, readNdjsonPacked } from "../src/formats/ndjson-scan.js";
import { transferList, unpackBatch } from "../src/formats/pack.js";
import type { ReaderStats } from "../src/formats/reader.js";
import {
  caps,
  catalogObject,
  countFastPath,
  cutsOf,
  expectSameBatches,
  objectText,
} from "./helpers/flat-json.js";
import { pieces } from "./helpers/text.js";

const SOURCE = "feed.ndjson";

interface Outcome {
  batches: RecordBatch[];
  stats: ReaderStats;
}

async function inProcess(text: string, cuts: number[], maxRecordBytes: number): Promise<Outcome> {
  const stream = readNdjson(pieces(text, cuts), { source: SOURCE, maxRecordBytes });
  const batches: RecordBatch[] = [];
  for await (const b of stream) batches.push(b);
  return { batches, stats: { ...stream.stats } };
}

async function packed(text: string, cuts: number[], maxRecordBytes: number): Promise<Outcome> {
  const stream = readNdjsonPacked(pieces(text, cuts), { source: SOURCE, maxRecordBytes });
  const batches: RecordBatch[] = [];
  for await (const p of stream) {
    // What crosses the thread boundary: a structured clone, typed arrays moved.
    batches.push(unpackBatch(structuredClone(p, { transfer: transferList(p) })));
  }
  return { batches, stats: { ...stream.stats } };
}

async function expectSame(text: string, cuts: number[], maxRecordBytes = 1 << 20): Promise<void> {
  const want = await inProcess(text, cuts, maxRecordBytes);
  const got = await packed(text, cuts, maxRecordBytes);
  expectSameBatches(got, want);
}

// --- random lines -------------------------------------------------------------------------------

/** A line: mostly flat objects (some with a repeated key), and every other kind of line. */
const objectLine = objectText(
  fc.constantFrom("", "", "", "", "", "", "", "", "", "", ",", " x", "}", "\u2028"),
);
/** Lines shaped like the catalogs. */
const catalogLine = catalogObject;
const otherLine = fc.oneof(
  fc.constantFrom(
    "",
    " ",
    "\t",
    "\u00a0",
    "\ufeff",
    "[1,2]",
    '"text"',
    "42",
    "null",
    "true",
    "{",
    "}",
    "{}",
    "{ }",
  ),
  fc.constantFrom(
    '{"a":1,}',
    "{'a':1}",
    '{"a" 1}',
    '{"a":1 "b":2}',
    '{"a":1}{"b":2}',
    '{"a":1}x',
    '{"a":"b\\x"}',
  ),
  fc.constantFrom(
    '{"a":"\\u12"}',
    '{"a":"\\u12G4"}',
    '{"a":"\\uD83D\\uDE00"}',
    '{"a":"\\uDE00"}',
    '{"a":"\\',
  ),
  fc.constantFrom(
    '{"a":"x',
    '{"a":',
    '{"a"',
    '{"',
    '{"a":1',
    '{"__proto__":{"x":1}}',
    '{"__proto__":"p","b":1}',
  ),
  fc.string({ unit: "grapheme", maxLength: 30 }),
  fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
);
const line = fc.oneof(
  { weight: 5, arbitrary: objectLine },
  { weight: 4, arbitrary: catalogLine },
  { weight: 2, arbitrary: otherLine },
);

const document = fc
  .tuple(
    fc.array(fc.tuple(line, fc.constantFrom("\n", "\n", "\r\n")), { maxLength: 25 }),
    fc.boolean(),
    fc.boolean(),
  )
  .map(([lines, bom, finalNewline]) => {
    let text = (bom ? "\ufeff" : "") + lines.map(([l, nl]) => l + nl).join("");
    if (!finalNewline && text.endsWith("\n")) text = text.slice(0, -1);
    return text;
  });

const withCuts = document.chain((text) => fc.tuple(fc.constant(text), cutsOf(text), caps));

describe("NDJSON scanned into packed batches (the reader thread)", () => {
  afterEach(() => vi.restoreAllMocks());

  it("gives the in-process reader's batches, records, problems and counters for any lines and chunking", async () => {
    // Count the lines the scanner reads itself: the property must exercise both paths.
    const counts = countFastPath(NdjsonScanner.prototype, "scan", (ok) => ok === true);
    await fc.assert(
      fc.asyncProperty(withCuts, async ([text, cuts, max]) => {
        await expectSame(text, cuts, max);
      }),
      { numRuns: 1500 },
    );
    expect(counts.taken).toBeGreaterThan(counts.left / 4);
    expect(counts.left).toBeGreaterThan(counts.taken / 4);
  });

  it("gives the same records on hand-picked edges", async () => {
    const edges = [
      '{"sku":"A","price":19.9,"on":true,"off":false,"none":null}',
      '{"sku":"B","sku":"C"}',
      '{"b":1,"10":2,"a":3,"0":4}',
      '{"__proto__":"x","sku":"D"}',
      '{"__proto__":"x","__proto__":"y"}',
      '{"q":"say \\"hi\\" \\\\ \\/ \\b\\f\\n\\r\\t \\u00e9\\uD83D\\uDE00 \\uDC00"}',
      '{"n":-0,"m":1e400,"k":9007199254740993,"j":0.1,"i":-123456789012345,"h":1234567890123456}',
      '  { "sku" : "E" , "price" : 1 }  ',
      '{"sku":"F",}',
      '{"sku":"G"}\t',
      '{"sku":"H\tI"}',
      '{"n":01}',
      '{"n":1.}',
      '{"nested":{"a":1},"list":[1,"2"]}',
      "[1,2]",
      '"x"',
      "",
      "   ",
      '{"sku":"' + "x".repeat(60) + '"}',
    ];
    const text = "\ufeff" + edges.join("\n") + "\r\n" + edges.join("\r\n");
    for (const cuts of [[], [1, 2, 3, 50, 51, 200], Array.from({ length: text.length }, (_, i) => i)]) {
      await expectSame(text, cuts);
      await expectSame(text, cuts, 40);
    }
  });
});

describe("NdjsonScanner", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reads lines of the common shape without JSON.parse", async () => {
    const parse = vi.spyOn(JSON, "parse");
    const lines = Array.from(
      { length: 300 },
      (_, i) =>
        `{"sku":"SKU-${i}","name":"Nordic \\"Lamp\\" ${i}","price":"${i}.99","stock":${i},"ratio":${i / 7},` +
        `"on":${i % 2 === 0},"gtin":null,"title":"naïve — 価格 😀"}`,
    );
    const got = await packed(lines.join("\n") + "\n", [4096, 8192], 1 << 20);
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    const want = await inProcess(lines.join("\n") + "\n", [4096, 8192], 1 << 20);
    assert.deepStrictEqual(got, want);
  });

  it("leaves to JSON.parse what it does not read itself, writing nothing", () => {
    const scanner = new NdjsonScanner(SOURCE);
    const taken = ['{"a":"x","b":1}', "{}", ' { "a" : -1.5e-3 , "b" : "\\u0041" } ', '{"__proto__":1}'];
    const left = [
      '{"a":{"b":1}}',
      '{"a":[1]}',
      '{"a":1,"a":2}',
      '{"1":1}',
      '{"a\\"b":1}',
      '{"a":1,}',
      '{"a":"\\x"}',
      '{"a":"\\u00G0"}',
      '{"a":01}',
      '{"a":1.}',
      '{"a":-}',
      '{"a":tru}',
      '{"a":"x"}x',
      '{"a":"x"}\t',
      '{"a":"\t"}',
      "\u00a0{}",
      "[]",
      '"x"',
    ];
    let index = 0;
    for (const s of taken) expect(scanner.scan(s, ++index, index), s).toBe(true);
    for (const s of left) expect(scanner.scan(s, ++index, index), s).toBe(false);
    const batch = unpackBatch(scanner.finish());
    expect(batch.map((r) => r.fields)).toStrictEqual(taken.map((s) => JSON.parse(s) as unknown));
    expect(batch.map((r) => r.index)).toEqual([1, 2, 3, 4]);
  });
});
