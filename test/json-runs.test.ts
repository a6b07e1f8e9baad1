/**
 * The JSON reader parses a chunk's run of complete object elements with one JSON.parse
 * (src/formats/json-elements.ts). These tests hold it to the reference path that cuts and parses
 * every element alone (`readJsonWith(..., false)`): same records (fields, index, offset, problems)
 * and the same error (code, message, context) for any chunking.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import { readJsonWith } from "../src/formats/json.js";
import { JsonScanner } from "../src/formats/json-scanner.js";
import { newReaderStats } from "../src/formats/reader.js";
import { pieces } from "./helpers/text.js";

interface Outcome {
  records: SourceRecord[];
  batches: number;
  error?: { code: string; message: string; context: unknown } | undefined;
}

async function read(
  text: string,
  runs: boolean,
  size: number | number[],
  jsonPath = "",
  maxRecordBytes = 1 << 20,
): Promise<Outcome> {
  const stream = readJsonWith(pieces(text, size), { source: "feed.json", maxRecordBytes, jsonPath }, runs);
  const records: SourceRecord[] = [];
  let batches = 0;
  try {
    for await (const batch of stream) {
      batches++;
      records.push(...batch);
    }
  } catch (err) {
    if (!(err instanceof FeedpipeError)) throw err;
    return { records, batches, error: { code: err.code, message: err.message, context: err.context } };
  }
  expect(stream.stats.records).toBe(records.length);
  return { records, batches };
}

async function same(text: string, size: number | number[], jsonPath = "", max = 1 << 20): Promise<Outcome> {
  const fast = await read(text, true, size, jsonPath, max);
  const ref = await read(text, false, size, jsonPath, max);
  expect(fast.records, text).toEqual(ref.records);
  expect(fast.error, text).toEqual(ref.error);
  return fast;
}

// Strings full of what looks like structure: quotes, escapes, and the boundary `}, {` itself.
const tricky = fc.string({
  unit: fc.constantFrom("x", '"', "\\", "\\\\", "}", "{", "]", "[", ",", " ", "\n", "}, {", "},{", "é", "😀"),
  maxLength: 8,
});
const key = fc.oneof(fc.constantFrom("__proto__", "constructor", "id", "a b", "}, {"), {
  weight: 4,
  arbitrary: fc.string({ unit: fc.constantFrom("k", "e", "y", '"', "\\"), maxLength: 4 }),
});
const value = fc.letrec((tie) => ({
  v: fc.oneof(
    { depthSize: "small" },
    { weight: 3, arbitrary: fc.string({ unit: fc.constantFrom("x", "y", " ", '"', "é"), maxLength: 6 }) },
    tricky,
    fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (d === 0 ? 0 : d)),
    fc.boolean(),
    fc.constant(null),
    fc.array(tie("v"), { maxLength: 3 }),
    fc.dictionary(key, tie("v"), { maxKeys: 3 }),
  ),
})).v;
const element = fc.oneof(
  { weight: 12, arbitrary: fc.dictionary(key, value, { maxKeys: 4 }) },
  { weight: 1, arbitrary: value },
);

/** Records a scanner with runs took by runs, reading `text` in chunks of `size`. */
function fromRuns(text: string, size: number): number {
  const scanner = new JsonScanner({ source: "s", maxRecordBytes: 1 << 20, path: [] }, newReaderStats());
  for (let i = 0; i < text.length; i += size) scanner.push(text.slice(i, i + size));
  scanner.end();
  return scanner.fromRuns;
}

describe("JSON runs: one JSON.parse per chunk's complete elements", () => {
  it("gives the same records as element-by-element parsing (exact offsets, nested values, escapes)", async () => {
    const text = JSON.stringify(
      [
        { id: "1", s: 'say "}, {" twice: }, {' },
        { id: "2", list: [{ a: 1 }, { b: 2 }], o: { p: { q: {} } } },
        { id: "3", back: "\\", quote: '\\"', u: "\u2028" },
        { id: "4" },
      ],
      null,
      2,
    );
    for (const size of [1 << 16, 7, 40]) {
      const { records } = await same(text, size);
      expect(records.map((r) => r.fields.id)).toEqual(["1", "2", "3", "4"]);
      for (const r of records) expect(text.slice(r.offset!, r.offset! + 15)).toMatch(/^\{\n {4}"id": "\d"/);
    }
  });

  it("takes the elements of a chunk by runs, except the last of the array and one cut by the chunk's end", () => {
    const items = Array.from({ length: 300 }, (_, i) => ({
      id: String(i),
      nested: { list: [i, { x: "}" }] },
    }));
    for (const indent of [0, 2]) {
      const text = JSON.stringify(items, null, indent);
      expect(fromRuns(text, 1 << 20)).toBe(299);
      const chunks = Math.ceil(text.length / 2000);
      expect(fromRuns(text, 2000)).toBeGreaterThanOrEqual(300 - 2 * chunks - 1);
    }
    // A string holding the boundary `}, {` spoils the guess: that chunk is cut element by element.
    expect(fromRuns('[{"a": "}, {"}, {"b": 1}, {"c": 2}]', 1 << 20)).toBe(0);
  });

  it("keeps __proto__ keys as own properties", async () => {
    const text = '[{"__proto__": {"x": 1}, "id": "1"}, {"id": "2", "__proto__": "y"}, {"id": "3"}]';
    const { records } = await same(text, 1 << 16);
    expect(Object.hasOwn(records[0]!.fields, "__proto__")).toBe(true);
    expect(records[0]!.fields.__proto__).toEqual({ x: 1 });
    expect(Object.getPrototypeOf(records[0]!.fields)).toBe(Object.prototype);
    expect(records[1]!.fields.__proto__).toBe("y");
  });

  it("attributes a malformed element to itself, after the elements before it", async () => {
    const text = '[{"id": "1"}, {"id": "2"},\n {"id": "3", "n": 01}, {"id": "4"}, {"id": "5"}]';
    const { records, error } = await same(text, 1 << 16);
    expect(records.map((r) => r.fields.id)).toEqual(["1", "2"]);
    expect(error?.code).toBe("FEED_JSON_MALFORMED");
    expect(error?.message).toMatch(/element 3 at line 2, column 20/);
  });

  it("counts the lines of a run, for an error after it", async () => {
    const good = JSON.stringify([{ id: "1" }, { id: "2" }, { id: "3" }], null, 2);
    const text = `${good.slice(0, -2)},\n  {"id": "4",\n   "n": 01}\n]`;
    expect(fromRuns(`${good.slice(0, -2)},\n  {"id": "4"}\n]`, 1 << 16)).toBe(3);
    const { records, error } = await same(text, 1 << 16);
    expect(records).toHaveLength(3);
    expect(error?.context).toMatchObject({ line: 12, offset: text.indexOf("01") + 1 });
    expect(error?.message).toMatch(/element 4 at line 12, column 10 /);
  });

  it("leaves elements over the cap and non-objects to the exact path", async () => {
    const text = JSON.stringify([{ id: "1" }, { id: "2", t: "y".repeat(80) }, { id: "3" }, 7, { id: "5" }]);
    const { records } = await same(text, 1 << 16, "", 60);
    expect(records.map((r) => r.problem?.code ?? r.fields.id)).toEqual([
      "1",
      "RECORD_TOO_LARGE",
      "3",
      "JSON_NOT_OBJECT",
      "5",
    ]);
  });

  it("matches element-by-element parsing for random documents, chunkings and caps (property)", async () => {
    const doc = fc.record({
      items: fc.array(element, { maxLength: 10 }),
      meta: value,
      indent: fc.constantFrom(0, 1, 2),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
      max: fc.constantFrom(1 << 20, 40, 120),
    });
    let byRuns = 0;
    await fc.assert(
      fc.asyncProperty(doc, async ({ items, meta, indent, cuts, max }) => {
        const text = JSON.stringify({ meta, items: items }, null, indent);
        const { records, error } = await same(
          text,
          cuts.map((c) => c % (text.length + 1)),
          "items",
          max,
        );
        expect(error).toBeUndefined();
        expect(records).toHaveLength(items.length);
        byRuns += fromRuns(JSON.stringify(items, null, indent), 1 << 20);
      }),
      { numRuns: 600, seed: 1812 },
    );
    // The property is about the run path: it must have been taken often.
    expect(byRuns).toBeGreaterThan(400);
  });

  it("matches element-by-element parsing on damaged and truncated documents (property)", async () => {
    const doc = fc.record({
      items: fc.array(element, { minLength: 1, maxLength: 8 }),
      indent: fc.constantFrom(0, 2),
      at: fc.nat(),
      damage: fc.constantFrom("{", "}", "]", ",", ":", '"', "\\", "}, {", "x", "\n", "01", ""),
      truncate: fc.boolean(),
      cuts: fc.array(fc.nat(), { maxLength: 4 }),
    });
    await fc.assert(
      fc.asyncProperty(doc, async ({ items, indent, at, damage, truncate, cuts }) => {
        const valid = JSON.stringify(items, null, indent);
        const p = at % valid.length;
        const text = truncate ? valid.slice(0, p) : valid.slice(0, p) + damage + valid.slice(p + 1);
        const outcome = await same(
          text,
          cuts.map((c) => c % (text.length + 1)),
        );
        let ok = true;
        try {
          JSON.parse(text);
        } catch {
          ok = false;
        }
        if (!ok)
          expect(["FEED_JSON_MALFORMED", "FEED_JSON_PATH_NOT_FOUND"], text).toContain(outcome.error?.code);
      }),
      { numRuns: 800, seed: 2026 },
    );
  });
});
