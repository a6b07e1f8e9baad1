import { readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import { headerNames, readCsv, repeatedHeaderNames } from "../src/formats/csv.js";
import type { ReaderStream } from "../src/formats/reader.js";
import type { CsvReaderOptions } from "../src/formats/types.js";
import { pieces } from "./helpers/text.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "csv");

function fixture(name: string, file = "feed.csv"): string {
  return readFileSync(join(FIXTURES, name, file), "utf8");
}

interface Result {
  records: SourceRecord[];
  batches: number;
  stream: ReaderStream;
  error?: unknown;
}

/** The engine under test: every case runs against both tokenizers (see the describe.each below). */
let engine: CsvReaderOptions["engine"] = "fast";

async function read(
  text: string,
  options: Partial<CsvReaderOptions> = {},
  size: number | number[] = 1 << 16,
): Promise<Result> {
  const stream = readCsv(pieces(text, size), {
    source: "feed.csv",
    maxRecordBytes: 1 << 20,
    delimiter: ",",
    engine,
    ...options,
  });
  const records: SourceRecord[] = [];
  let batches = 0;
  try {
    for await (const batch of stream) {
      batches++;
      records.push(...batch);
    }
  } catch (error) {
    return { records, batches, stream, error };
  }
  return { records, batches, stream };
}

const CHUNKINGS = [1 << 16, 1, 2, 3, 7];

describe.each(["fast", "csv-parse"] as const)("readCsv (%s engine)", (name) => {
  beforeAll(() => {
    engine = name;
  });

  it("reads quoted cells: embedded newlines, doubled quotes, delimiters inside quotes; lines where records start", async () => {
    for (const size of CHUNKINGS) {
      const { records, error, stream } = await read(fixture("quoted"), {}, size);
      expect(error).toBeUndefined();
      expect(records.map((r) => r.fields)).toEqual([
        { id: "1", title: "Mug, large", description: 'He said "hello"', price: "9.99" },
        { id: "2", title: "Lamp", description: "Line one\nLine two\nLine three", price: "19.50" },
        { id: "3", title: 'Quote "inside" and, comma', description: "plain", price: "5" },
        { id: "4", title: "Desk", description: "ends with newline\n", price: "100" },
        { id: "5", title: "Screen", description: '27" monitor, 4K', price: "299" },
      ]);
      expect(records.map((r) => r.line)).toEqual([2, 3, 6, 7, 9]);
      expect(records.map((r) => r.index)).toEqual([1, 2, 3, 4, 5]);
      expect(records.every((r) => r.source === "feed.csv" && r.problem === undefined)).toBe(true);
      expect(stream.stats).toEqual({
        records: 5,
        problems: 0,
        blankRows: 0,
        columns: ["id", "title", "description", "price"],
      });
    }
  });

  it("keeps columns named __proto__ or constructor as data, never as the prototype", async () => {
    const { records } = await read("sku,__proto__,constructor\nA1,x,y\n");
    const f = records[0]!.fields;
    expect(Object.keys(f)).toEqual(["sku", "__proto__", "constructor"]);
    expect(Object.hasOwn(f, "__proto__")).toBe(true);
    expect(f.__proto__).toBe("x");
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
    expect(JSON.stringify(f)).toBe('{"sku":"A1","__proto__":"x","constructor":"y"}');
  });

  it("strips a BOM from the first header name", async () => {
    const { records, stream } = await read(fixture("bom"));
    expect(stream.stats.columns).toEqual(["id", "name", "price"]);
    expect(records.map((r) => r.fields)).toEqual([
      { id: "1", name: "Café", price: "3.50" },
      { id: "2", name: "Über Mug", price: "4.00" },
    ]);
  });

  it("reads CRLF files, counting a CRLF inside a quoted cell as one line", async () => {
    for (const size of CHUNKINGS) {
      const { records } = await read(fixture("crlf"), {}, size);
      expect(records.map((r) => [r.line, r.fields])).toEqual([
        [2, { id: "1", name: "A", price: "1.00" }],
        [3, { id: "2", name: "B\r\nsecond line", price: "2.00" }],
        [5, { id: "3", name: "C", price: "3.00" }],
      ]);
    }
  });

  it("reads mixed line endings (CRLF, LF, lone CR) with the right lines and no final newline", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("mixed-endings"), {}, size);
      expect(records.map((r) => [r.line, r.fields.id, r.fields.name])).toEqual([
        [2, "1", "A"],
        [3, "2", "B"],
        [4, "3", "C\nc"],
        [7, "4", "D"],
      ]);
      expect(stream.stats.blankRows).toBe(1);
    }
  });

  it("turns ragged rows into problem records that keep their cells", async () => {
    const { records, stream, error } = await read(fixture("ragged"));
    expect(error).toBeUndefined();
    expect(records).toHaveLength(4);
    expect(records[0]).toEqual({
      source: "feed.csv",
      index: 1,
      line: 2,
      fields: { id: "1", name: "A", price: "10" },
    });
    expect(records[1]).toMatchObject({
      index: 2,
      line: 3,
      fields: { id: "2", name: "B" },
      problem: { code: "CSV_RAGGED_ROW", severity: "error", message: "expected 3 columns, got 2" },
      raw: "2,B",
    });
    expect(records[1]!.fields).not.toHaveProperty("price");
    expect(records[2]).toMatchObject({
      index: 3,
      line: 4,
      fields: { id: "3", name: "C", price: "30", _extra: ["extra1", "extra2"] },
      problem: { code: "CSV_RAGGED_ROW", message: "expected 3 columns, got 5" },
    });
    expect(records[3]).toMatchObject({ index: 4, line: 5, fields: { id: "4", name: "D", price: "40" } });
    expect(records[3]!.problem).toBeUndefined();
    expect(stream.stats).toMatchObject({ records: 4, problems: 2 });
  });

  it("skips and counts blank rows (empty, whitespace-only, only empty cells), keeping lines right", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("blank-rows"), {}, size);
      expect(records.map((r) => [r.index, r.line, r.fields])).toEqual([
        [1, 3, { id: "1", name: "A" }],
        [2, 5, { id: "2", name: "B" }],
        [3, 8, { id: "3", name: "C" }],
      ]);
      // lines 2, 4 (","), 6, 7 ("   ") and 9
      expect(stream.stats.blankRows).toBe(5);
    }
  });

  it("counts blank lines at the end with and without a final line break", async () => {
    expect((await read("a,b\n1,2\n")).stream.stats.blankRows).toBe(0);
    expect((await read("a,b\n1,2")).stream.stats.blankRows).toBe(0);
    expect((await read("a,b\n1,2\n\n")).stream.stats.blankRows).toBe(1);
    expect((await read("a,b\n1,2\n\n\r\n", {}, 1)).stream.stats.blankRows).toBe(2);
    expect((await read("a,b\n1,2\n\n ")).stream.stats.blankRows).toBe(2);
  });

  it("reads a header-only file as zero records, and empty text as nothing", async () => {
    const header = await read(fixture("header-only"));
    expect(header.error).toBeUndefined();
    expect(header.records).toEqual([]);
    expect(header.stream.stats.columns).toEqual(["id", "name", "price"]);
    const empty = await read("");
    expect(empty.records).toEqual([]);
    expect(empty.stream.stats).toEqual({ records: 0, problems: 0, blankRows: 0 });
  });

  it("reads other delimiters: semicolon, pipe, tab", async () => {
    const semi = await read(fixture("semicolon"), { delimiter: ";" });
    expect(semi.records.map((r) => r.fields)).toEqual([
      { id: "1", name: "Käse", price: "3,50" },
      { id: "2", name: "Brot; frisch", price: "2,10" },
    ]);
    const pipe = await read(fixture("pipe"), { delimiter: "|" });
    expect(pipe.records.map((r) => r.fields)).toEqual([
      { id: "1", name: "Lamp", price: "12.00" },
      { id: "2", name: 'Screen 27" wide', price: "199.00" },
    ]);
    const tsv = await read(fixture("tsv", "feed.tsv"), { delimiter: "\t" });
    expect(tsv.records.map((r) => r.fields)).toEqual([
      { id: "1", title: "Mug", price: "9.99 USD", description: 'A mug, "the best"' },
      { id: "2", title: "Lamp", price: "19.50 USD", description: "Quoted\tcell" },
    ]);
  });

  it("stops on a quote that is never closed, naming the line it opened on, after yielding the rows before", async () => {
    for (const size of CHUNKINGS) {
      const { records, error } = await read(fixture("unclosed-quote"), {}, size);
      expect(records.map((r) => r.fields.id)).toEqual(["1", "2"]);
      expect(error).toBeInstanceOf(FeedpipeError);
      const e = error as FeedpipeError;
      expect(e.code).toBe("FEED_CSV_MALFORMED");
      expect(e.context).toMatchObject({ source: "feed.csv", line: 4 });
      expect(e.message).toContain("feed.csv");
      expect(e.message).toContain("line 4");
    }
  });

  it("gives rows over maxRecordBytes a RECORD_TOO_LARGE problem without losing them or the rows after", async () => {
    const big = "x".repeat(300);
    const text = `id,name\n1,short\n2,"${big}\n${big}"\n3,after\n`;
    for (const size of [1 << 16, 5]) {
      const { records, stream, error } = await read(text, { maxRecordBytes: 100 }, size);
      expect(error).toBeUndefined();
      expect(records.map((r) => [r.index, r.line, r.problem?.code])).toEqual([
        [1, 2, undefined],
        [2, 3, "RECORD_TOO_LARGE"],
        [3, 5, undefined],
      ]);
      expect(records[1]!.fields).toEqual({});
      expect(records[1]!.problem!.message).toBe("row is 603 characters long, over the limit of 100");
      expect(records[2]!.fields).toEqual({ id: "3", name: "after" });
      expect(stream.stats.problems).toBe(1);
    }
  });

  it("stops with FEED_CSV_MALFORMED when an open quote runs far past the cap (memory stays bounded)", async () => {
    // 16 MiB hard cap (4 x maxRecordBytes, at least 16 MiB): an unclosed quote followed by 17 MiB of rows.
    const rows = "9,filler row with some text\n".repeat(((17 * 1024 * 1024) / 28) | 0);
    const { records, error } = await read(
      `id,name\n1,ok\n2,"open\n${rows}`,
      { maxRecordBytes: 1000 },
      1 << 20,
    );
    expect(records.map((r) => r.fields.id)).toEqual(["1"]);
    expect((error as FeedpipeError).code).toBe("FEED_CSV_MALFORMED");
    expect((error as FeedpipeError).context.line).toBe(3);
  });

  it("renames blank and repeated header names to col_N and trims names", async () => {
    expect(headerNames(["\uFEFF id ", "", "name", "name", " ", "col_5"])).toEqual([
      "id",
      "col_2",
      "name",
      "col_4",
      "col_5_2",
      "col_5",
    ]);
    const { records, stream } = await read(" id ,,price,price\n1,x,2,3\n");
    expect(stream.stats.columns).toEqual(["id", "col_2", "price", "col_4"]);
    expect(records[0]!.fields).toEqual({ id: "1", col_2: "x", price: "2", col_4: "3" });
  });

  it("names the repeated header names and their columns in the stats (the first one is read)", async () => {
    expect(repeatedHeaderNames(["\uFEFFid", "name", " name ", "", "", "id", "name"])).toEqual([
      { name: "id", positions: [1, 6] },
      { name: "name", positions: [2, 3, 7] },
    ]);
    const { records, stream } = await read("sku,name,name,price\nA1,First,Second,10\n");
    expect(stream.stats.repeatedColumns).toEqual([{ name: "name", positions: [2, 3] }]);
    expect(records[0]!.fields).toEqual({ sku: "A1", name: "First", col_3: "Second", price: "10" });
    expect((await read("a,b\n1,2\n")).stream.stats.repeatedColumns).toBeUndefined();
  });

  it("keeps extra cells under another key when a column is named _extra", async () => {
    const { records } = await read("id,_extra\n1,2,3\n");
    expect(records[0]!.fields).toEqual({ id: "1", _extra: "2", __extra: ["3"] });
  });

  it("yields one batch per input chunk, not one per record", async () => {
    const rows = Array.from({ length: 1000 }, (_, i) => `${i},name ${i}`).join("\n");
    const { records, batches } = await read(`id,name\n${rows}\n`, {}, 4096);
    expect(records).toHaveLength(1000);
    expect(records[999]).toMatchObject({ index: 1000, line: 1001, fields: { id: "999", name: "name 999" } });
    expect(batches).toBeLessThanOrEqual(Math.ceil(rows.length / 4096) + 1);
    expect(batches).toBeGreaterThan(1);
  });

  it("supports another quote character", async () => {
    const { records } = await read("id,name\n1,'a, b'\n2,'it''s'\n", { quote: "'" });
    expect(records.map((r) => r.fields.name)).toEqual(["a, b", "it's"]);
  });

  it("rejects bad options before reading", () => {
    const text = pieces("", 1);
    expect(() => readCsv(text, { source: "f", maxRecordBytes: 10, delimiter: "" })).toThrow(
      /Invalid option delimiter/,
    );
    expect(() => readCsv(text, { source: "f", maxRecordBytes: 0, delimiter: "," })).toThrow(
      /Invalid option maxRecordBytes/,
    );
    expect(() => readCsv(text, { source: "f", maxRecordBytes: 10, delimiter: ",", quote: "," })).toThrow(
      /Invalid option quote/,
    );
  });

  it("round-trips random tables through CSV text for any chunking (property)", async () => {
    const cell = fc.oneof(
      fc.string({
        unit: fc.constantFrom("a", "b", "Z", " ", ",", '"', "\n", "\r\n", "\r", "é", "😀", "日", ";", "\t"),
        maxLength: 8,
      }),
      fc.string({ maxLength: 6 }),
    );
    const table = fc.integer({ min: 1, max: 5 }).chain((width) =>
      fc.record({
        header: fc.uniqueArray(fc.stringMatching(/^[a-z][a-z0-9_]{0,6}$/), {
          minLength: width,
          maxLength: width,
        }),
        rows: fc.array(
          fc
            .array(cell, { minLength: width, maxLength: width })
            // a row whose cells are all blank is a blank row by design
            .filter((r) => r.some((c) => c.trim() !== "")),
          { maxLength: 8 },
        ),
        eol: fc.constantFrom("\n", "\r\n"),
        cuts: fc.array(fc.nat(), { maxLength: 6 }),
      }),
    );
    const quoteCell = (c: string): string =>
      /[",\r\n]/.test(c) || c === "" ? `"${c.replace(/"/g, '""')}"` : c;
    await fc.assert(
      fc.asyncProperty(table, async ({ header, rows, eol, cuts }) => {
        const text = [header, ...rows].map((r) => r.map(quoteCell).join(",")).join(eol) + eol;
        const { records, error } = await read(
          text,
          {},
          cuts.map((c) => c % (text.length + 1)),
        );
        expect(error).toBeUndefined();
        expect(records.map((r) => r.fields)).toEqual(
          rows.map((r) => Object.fromEntries(header.map((h, i) => [h, r[i]]))),
        );
        // lines: each record starts after the physical lines of the ones before
        let line = 2;
        for (const [i, r] of records.entries()) {
          expect(r.line).toBe(line);
          for (const c of rows[i]!) line += c.split(/\r\n|\r|\n/).length - 1;
          line++;
        }
      }),
      { numRuns: 300, seed: 20240601 },
    );
  });
});

describe("readCsv: text after a closing quote", () => {
  it('rejects the row ("Ba"r is a stray quote, not Bar), with its line, for any chunking', async () => {
    engine = "fast";
    const text =
      'sku,name,price\r\nA1,"Ba"r,10\r\nA2,"ok" ,11\r\nA3,"multi\nline"x,12\r\nA4,"5"" screen",13\r\nA5,"x"y"z,"a"b\r\n';
    for (const size of [...CHUNKINGS, 4, 5, 11]) {
      const { records, stream, error } = await read(text, {}, size);
      expect(error).toBeUndefined();
      expect(records.map((r) => [r.line, r.problem?.code])).toEqual([
        [2, "CSV_MALFORMED_ROW"],
        [3, undefined], // only spaces after the quote: nothing is guessed
        [4, "CSV_MALFORMED_ROW"],
        [6, undefined],
        [7, "CSV_MALFORMED_ROW"],
      ]);
      expect(records[0]).toMatchObject({
        fields: { sku: "A1", name: "Bar", price: "10" },
        problem: {
          severity: "error",
          message:
            'field 2 (name) has text after its closing quote: "Ba"r; write a quote inside a quoted field as "", or leave the field unquoted',
        },
        raw: "A1,Bar,10",
      });
      expect(records[2]!.problem?.message).toContain('"multi\nline"x;');
      // the first such field is named; the row's other cells are kept as read
      expect(records[4]!.problem?.message).toContain(
        'field 2 (name) has text after its closing quote: "x"y"z;',
      );
      expect(records[4]!.fields).toMatchObject({ name: 'xy"z', price: "ab" });
      expect(stream.stats).toMatchObject({ records: 5, problems: 3 });
    }
  });

  it("names the quote character in use, and a field past the header by its number", async () => {
    engine = "fast";
    const { records } = await read("a,b\n1,'x'y\n2,3,'z'w\n", { quote: "'" });
    expect(records[0]!.problem?.message).toBe(
      "field 2 (b) has text after its closing quote: 'x'y; write a quote inside a quoted field as '', or leave the field unquoted",
    );
    expect(records[1]!.problem).toMatchObject({
      code: "CSV_MALFORMED_ROW",
      message: expect.stringMatching(/^field 3 has text after its closing quote: 'z'w;/),
    });
  });

  it("the csv-parse engine (multi-character delimiters) keeps relax_quotes' reading: the text as written", async () => {
    engine = "csv-parse";
    const { records } = await read('sku,name\nA1,"Ba"r\n');
    expect(records[0]!.fields).toEqual({ sku: "A1", name: '"Ba"r' });
    expect(records[0]!.problem).toBeUndefined();
  });
});
