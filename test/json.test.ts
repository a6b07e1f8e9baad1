import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import type { ReaderStream } from "../src/formats/reader.js";
import { readJson } from "../src/formats/json.js";
import { pieces } from "./helpers/text.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "json");

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name, "feed.json"), "utf8");
}

interface Result {
  records: SourceRecord[];
  batches: number;
  stream: ReaderStream;
  error?: FeedpipeError;
}

async function read(
  text: string,
  jsonPath = "",
  size: number | number[] = 1 << 16,
  maxRecordBytes = 1 << 20,
): Promise<Result> {
  const stream = readJson(pieces(text, size), { source: "feed.json", maxRecordBytes, jsonPath });
  const records: SourceRecord[] = [];
  let batches = 0;
  try {
    for await (const batch of stream) {
      batches++;
      records.push(...batch);
    }
  } catch (error) {
    if (!(error instanceof FeedpipeError)) throw error;
    return { records, batches, stream, error };
  }
  return { records, batches, stream };
}

const CHUNKINGS = [1 << 16, 1, 2, 3, 11];

describe("readJson", () => {
  it("reads the objects of a top-level array with index and exact character offset", async () => {
    const text = fixture("top-level-array");
    for (const size of CHUNKINGS) {
      const { records, error, stream } = await read(text, "", size);
      expect(error).toBeUndefined();
      expect(records.map((r) => r.fields)).toEqual(JSON.parse(text));
      expect(records.map((r) => r.index)).toEqual([1, 2, 3]);
      for (const r of records) {
        expect(text[r.offset!]).toBe("{");
        expect(text.slice(r.offset!)).toMatch(new RegExp(`^\\{"id": "${r.index}"`));
      }
      expect(records.every((r) => r.source === "feed.json" && r.problem === undefined)).toBe(true);
      expect(stream.stats).toEqual({ records: 3, problems: 0, blankRows: 0 });
    }
  });

  it("follows a dot path past other keys, arrays and look-alike strings, and checks the rest of the document", async () => {
    const text = fixture("nested-path");
    for (const size of CHUNKINGS) {
      const { records, error } = await read(text, "data.products", size);
      expect(error).toBeUndefined();
      expect(records.map((r) => r.fields)).toEqual(JSON.parse(text).data.products);
      expect(records.map((r) => text.slice(r.offset!, r.offset! + 12))).toEqual([
        '{"sku": "A-1',
        '{"sku": "B-2',
        '{"sku": "C-3',
      ]);
    }
  });

  it("keeps non-object elements as JSON_NOT_OBJECT problem records", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("non-object"), "", size);
      expect(records.map((r) => [r.index, r.problem?.code ?? r.fields.id])).toEqual([
        [1, "1"],
        [2, "JSON_NOT_OBJECT"],
        [3, "JSON_NOT_OBJECT"],
        [4, "JSON_NOT_OBJECT"],
        [5, "JSON_NOT_OBJECT"],
        [6, "JSON_NOT_OBJECT"],
        [7, "7"],
      ]);
      expect(records.slice(1, 6).map((r) => [r.raw, r.problem!.message])).toEqual([
        ["42", "element 2 is a number, not an object"],
        ['"text"', "element 3 is a string, not an object"],
        ["null", "element 4 is null, not an object"],
        ["[1, 2]", "element 5 is an array, not an object"],
        ["true", "element 6 is a boolean, not an object"],
      ]);
      expect(stream.stats).toEqual({ records: 7, problems: 5, blankRows: 0 });
    }
  });

  it("stops on malformed JSON with line, column and offset, after yielding the elements before", async () => {
    const text = fixture("malformed");
    for (const size of CHUNKINGS) {
      const { records, error } = await read(text, "", size);
      expect(records.map((r) => r.fields.id)).toEqual(["1", "2"]);
      expect(error?.code).toBe("FEED_JSON_MALFORMED");
      const at = text.indexOf('"price"');
      expect(error?.context).toMatchObject({ source: "feed.json", line: 4, offset: at });
      expect(error?.message).toContain(
        `feed.json: malformed JSON in element 3 at line 4, column 33 (character ${at})`,
      );
      expect(error?.message).not.toContain("broken");
    }
  });

  it("reports grammar errors outside the records and a truncated document", async () => {
    const cases: [string, string, number, RegExp][] = [
      [
        '{"a": 1 "items": []}',
        "items",
        0,
        /line 1, column 9 \(character 8\): expected ',' or a closing bracket, got '"'/,
      ],
      ['[{"id":"1"} {"id":"2"}]', "", 1, /line 1, column 13 .*expected ',' or a closing bracket, got '\{'/],
      ['[{"id":"1"},]', "", 1, /line 1, column 13 \(character 12\): expected a value, got '\]'/],
      ['[{"id":"1"}] x', "", 1, /expected the end of the document, got 'x'/],
      ['{"items": [], "n": 01}', "items", 0, /"01" is not a number, true, false or null/],
      ['{"items": [], "s": "a\u0001"}', "items", 0, /malformed JSON string at line 1, column 20/],
      ['{"items": [{"id":"1"}, {"id":"2"}', "items", 2, /JSON ends early at line 1/],
      [fixture("truncated"), "items", 2, /JSON ends early at line 4, column 3 \(character 44\)/],
      ["", "", 0, /JSON ends early/],
    ];
    for (const [text, path, count, message] of cases) {
      for (const size of [1 << 16, 1, 4]) {
        const { records, error } = await read(text, path, size);
        expect(records, text).toHaveLength(count);
        expect(error?.code, text).toBe("FEED_JSON_MALFORMED");
        expect(error?.message, text).toMatch(message);
      }
    }
  });

  it("says clearly when the path is not in the document or is not an array", async () => {
    const cases: [string, string, RegExp][] = [
      [
        '{"data": {"items": []}}',
        "products",
        /"products" is not in the document \(no key "products" at the top level\)/,
      ],
      [
        '{"data": {"items": []}}',
        "data.products",
        /"data.products" is not in the document \(no key "products" in "data"\)/,
      ],
      [
        '{"data": "x"}',
        "data.products",
        /"data.products" is not in the document \("data" is a string, not an object\)/,
      ],
      ['{"data": [1]}', "data.products", /\("data" is an array, not an object\)/],
      ['{"items": {"a": 1}}', "items", /"items" is an object, not an array/],
      ['[{"a": 1}]', "items", /\(the top-level value is an array, not an object\)/],
      ['{"a": 1}', "", /the top-level value is an object, not an array/],
    ];
    for (const [text, path, message] of cases) {
      const { error } = await read(text, path);
      expect(error?.code, text).toBe("FEED_JSON_PATH_NOT_FOUND");
      expect(error?.message, text).toMatch(message);
      expect(error?.message).toContain("--json-path");
    }
  });

  it("matches the path on keys with escapes and takes the first array when a key repeats", async () => {
    const { records } = await read('{"it\\u0065ms": [{"id": "1"}], "items": [{"id": "2"}]}', "items");
    expect(records.map((r) => r.fields.id)).toEqual(["1"]);
  });

  it("gives elements over the cap a RECORD_TOO_LARGE record without keeping their text", async () => {
    const big = { id: "2", text: "y".repeat(300) };
    const text = JSON.stringify({ items: [{ id: "1" }, big, { id: "3" }, "z".repeat(200)] });
    for (const size of [1 << 16, 1, 17, 64]) {
      const { records, error, stream } = await read(text, "items", size, 100);
      expect(error).toBeUndefined();
      expect(records.map((r) => r.problem?.code ?? r.fields.id)).toEqual([
        "1",
        "RECORD_TOO_LARGE",
        "3",
        "RECORD_TOO_LARGE",
      ]);
      expect(records[1]!.problem!.message).toBe(
        `element is ${JSON.stringify(big).length} characters long, over the limit of 100`,
      );
      expect(records[1]!.raw).toBeUndefined();
      expect(records[1]!.offset).toBe(text.indexOf('{"id":"2"'));
      expect(stream.stats.problems).toBe(2);
    }
  });

  it("reads an empty array and an empty document path value", async () => {
    expect((await read("[]")).records).toEqual([]);
    expect((await read(" \n[ \n ] \n")).error).toBeUndefined();
    expect((await read('{"items": []}', "items")).records).toEqual([]);
  });

  it("yields one batch per chunk", async () => {
    const items = Array.from({ length: 400 }, (_, i) => ({ id: String(i), n: i }));
    const { records, batches } = await read(JSON.stringify(items), "", 1000);
    expect(records.map((r) => r.fields)).toEqual(items);
    expect(batches).toBeGreaterThan(1);
    expect(batches).toBeLessThan(400 / 5);
  });

  it("reads random documents like JSON.parse for any chunking (property)", async () => {
    const key = fc.string({
      unit: fc.constantFrom("a", "b", '"', "\\", "[", "{", "}", "]", ",", ":", "é", "😀", "\n"),
      maxLength: 5,
    });
    const value = fc.letrec((tie) => ({
      v: fc.oneof(
        { depthSize: "small" },
        fc.string({
          unit: fc.constantFrom("x", '"', "\\", "\\\\", "]", "}", "{", "[", ",", "\u0001", "\n", "😀"),
          maxLength: 6,
        }),
        fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (d === 0 ? 0 : d)),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("v"), { maxLength: 3 }),
        fc.dictionary(key, tie("v"), { maxKeys: 3 }),
      ),
    })).v;
    const doc = fc.record({
      items: fc.array(fc.oneof(fc.dictionary(key, value, { maxKeys: 4 }), value), { maxLength: 6 }),
      before: fc.dictionary(key, value, { maxKeys: 2 }),
      after: fc.dictionary(key, value, { maxKeys: 2 }),
      indent: fc.constantFrom(0, 2),
      cuts: fc.array(fc.nat(), { maxLength: 20 }),
    });
    await fc.assert(
      fc.asyncProperty(doc, async ({ items, before, after, indent, cuts }) => {
        const text = JSON.stringify({ ...before, "the items": { list: items }, ...after }, null, indent);
        const { records, error } = await read(
          text,
          "the items.list",
          cuts.map((c) => c % (text.length + 1)),
        );
        expect(error).toBeUndefined();
        expect(records).toHaveLength(items.length);
        for (const [i, r] of records.entries()) {
          const item = items[i];
          const isObject = item !== null && typeof item === "object" && !Array.isArray(item);
          expect(r.index).toBe(i + 1);
          if (isObject) expect(r.fields).toEqual(item);
          else expect(r.problem?.code).toBe("JSON_NOT_OBJECT");
          // the element's JSON starts at the offset
          const start = JSON.stringify(item, null, indent).slice(0, 1);
          expect(text[r.offset!]).toBe(start);
        }
      }),
      { numRuns: 500, seed: 424242 },
    );
  });

  it("never accepts a document JSON.parse rejects: random one-character damage (property)", async () => {
    const doc = fc.record({
      items: fc.array(
        fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 3 }),
        {
          maxLength: 4,
        },
      ),
      meta: fc.jsonValue({ maxDepth: 2 }),
      at: fc.nat(),
      char: fc.constantFrom(
        "{",
        "}",
        "[",
        "]",
        ",",
        ":",
        '"',
        "\\",
        " ",
        "1",
        "-",
        ".",
        "e",
        "x",
        "n",
        "\u0000",
        "",
      ),
      cuts: fc.array(fc.nat(), { maxLength: 6 }),
    });
    await fc.assert(
      fc.asyncProperty(doc, async ({ items, meta, at, char, cuts }) => {
        const valid = JSON.stringify({ meta, items });
        const p = at % valid.length;
        const text = valid.slice(0, p) + char + valid.slice(p + 1);
        let parsed: unknown;
        let ok = true;
        try {
          parsed = JSON.parse(text);
        } catch {
          ok = false;
        }
        const { records, error } = await read(
          text,
          "items",
          cuts.map((c) => c % (text.length + 1)),
        );
        if (!ok) {
          // a path error may be seen before the damage (e.g. `n"meta"...`: not an object, at the first character)
          expect(["FEED_JSON_MALFORMED", "FEED_JSON_PATH_NOT_FOUND"], text).toContain(error?.code);
          return;
        }
        const list = (parsed as { items?: unknown } | null)?.items;
        if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed) || !Array.isArray(list)) {
          expect(error?.code, text).toBe("FEED_JSON_PATH_NOT_FOUND");
          return;
        }
        // duplicate "items" keys: JSON.parse keeps the last, the reader the first
        if (text.indexOf('"items"') !== text.lastIndexOf('"items"')) return;
        expect(error, text).toBeUndefined();
        expect(
          records.map((r) => (r.problem ? r.raw : r.fields)),
          text,
        ).toEqual(
          list.map((v) => (v !== null && typeof v === "object" && !Array.isArray(v) ? v : JSON.stringify(v))),
        );
      }),
      { numRuns: 1000, seed: 777 },
    );
  });
});
