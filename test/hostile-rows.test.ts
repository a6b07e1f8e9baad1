/**
 * Hostile rows: inputs built to blow up a reader (millions of empty fields in one row, one line of
 * tens of megabytes, a zip with several feeds, a truncated gzip). Correctness here; the time and
 * memory figures come from bench/hostile-rows.mjs (no timed assertions in tests).
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import type { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import type { CsvRow } from "../src/formats/csv-engine.js";
import { readCsv } from "../src/formats/csv.js";
import { openFeed } from "../src/formats/index.js";
import { readNdjson } from "../src/formats/ndjson.js";
import { runEngine } from "./helpers/csv-engine.js";
import { zipOf } from "./helpers/zip.js";
import { pieces } from "./helpers/text.js";

async function collect(stream: AsyncIterable<SourceRecord[]>): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const batch of stream) out.push(...batch);
  return out;
}

function engineRows(text: string, cuts: number[], skipRowsOver: number): CsvRow[] {
  return runEngine(text, cuts, { delimiter: ",", skipRowsOver, maxRowChars: 1 << 30 });
}

/** Repeated text as chunks, without building the whole text. */
async function* repeated(parts: [string, number][], chunk = 1 << 16): AsyncIterable<string> {
  for (const [text, times] of parts) {
    let buf = "";
    for (let i = 0; i < times; i++) {
      buf += text;
      if (buf.length >= chunk) {
        yield buf;
        buf = "";
      }
    }
    if (buf) yield buf;
  }
}

const cell = fc.string({ unit: fc.constantFrom("a", " ", ",", '"', "\n", "\r\n", "é"), maxLength: 6 });

describe("CSV: rows over the cap are skimmed, not kept", () => {
  it("any chunking: a row is either exact or tooLarge with its exact size; lines stay right (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.nat({ max: 20 }),
        (rows, rawCuts, limit) => {
          const lines: number[] = [];
          let line = 1;
          const text = rows
            .map((r) => {
              lines.push(line);
              const serialised = r
                .map((c) => (/["\n\r,]/.test(c) || c === "" ? `"${c.replace(/"/g, '""')}"` : c))
                .join(",");
              line += 1 + (serialised.match(/\r\n|\r|\n/g)?.length ?? 0);
              return serialised;
            })
            .join("\n")
            .concat("\n");
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          const got = engineRows(text, cuts, limit);
          expect(got.map((r) => r.line)).toEqual(lines);
          expect(parse(text, { relax_column_count: true })).toEqual(rows);
          got.forEach((r, k) => {
            const want = rows[k]!;
            const size = want.reduce((n, c) => n + c.length, want.length - 1);
            if (r.tooLarge !== undefined) {
              expect(size).toBeGreaterThan(limit);
              expect(r.tooLarge).toBe(size);
              expect(r.cells).toEqual([]);
            } else if (
              r.blank &&
              r.cells.length === 1 &&
              r.cells[0] === "" &&
              (want.length > 1 || want[0] !== "")
            ) {
              // skimmed, and nothing but blanks: a blank row either way
              expect(want.every((c) => c.trim() === "")).toBe(true);
            } else {
              expect(r.cells).toEqual(want);
            }
          });
        },
      ),
      { numRuns: 500 },
    );
  });

  it("one row of 2 million empty fields (and a value) read in small chunks: RECORD_TOO_LARGE, next row intact", async () => {
    const records = await collect(
      readCsv(
        repeated(
          [
            ["sku,name\n", 1],
            ["E-1", 1],
            [",", 2_000_000],
            ["\nG-1,good\n", 1],
          ],
          1024,
        ),
        { source: "wide.csv", maxRecordBytes: 1 << 20, delimiter: "," },
      ),
    );
    expect(records.map((r) => [r.line, r.problem?.code, r.fields.sku])).toEqual([
      [2, "RECORD_TOO_LARGE", undefined],
      [3, undefined, "G-1"],
    ]);
    expect(records[0]!.problem!.message).toBe(
      `row is ${3 + 2_000_000} characters long, over the limit of 1048576`,
    );
  });

  it("a row of only empty fields, however long, is a blank row (as a short one is)", async () => {
    const stream = readCsv(
      repeated([
        ["sku,name\n", 1],
        [",", 3_000_000],
        ["\nG-1,good\n", 1],
      ]),
      {
        source: "blank.csv",
        maxRecordBytes: 1 << 20,
        delimiter: ",",
      },
    );
    const records = await collect(stream);
    expect(records.map((r) => r.fields.sku)).toEqual(["G-1"]);
    expect(stream.stats.blankRows).toBe(1);
  });

  it("a 12 MB unquoted line is one RECORD_TOO_LARGE record, not a fatal error; the rows after are read", async () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const stream = readCsv(
        repeated([
          [`sku,name${eol}L-1,`, 1],
          ["x".repeat(1000), 12_000],
          [`${eol}G-1,good${eol}`, 1],
        ]),
        { source: "long.csv", maxRecordBytes: 1 << 20, delimiter: "," },
      );
      const records = await collect(stream);
      expect(records.map((r) => [r.index, r.line, r.problem?.code])).toEqual([
        [1, 2, "RECORD_TOO_LARGE"],
        [2, 3, undefined],
      ]);
      expect(stream.stats.records).toBe(2);
    }
  });

  it("a long quoted field that closes is RECORD_TOO_LARGE; lines inside it are counted", async () => {
    const records = await collect(
      readCsv(
        repeated([
          ['sku,name\nQ-1,"', 1],
          ['line ""quoted""\n', 200_000],
          ['"\nG-1,good\n', 1],
        ]),
        { source: "q.csv", maxRecordBytes: 1 << 20, delimiter: "," },
      ),
    );
    expect(records.map((r) => [r.line, r.problem?.code])).toEqual([
      [2, "RECORD_TOO_LARGE"],
      [200_003, undefined],
    ]);
  });
});

describe("NDJSON: one huge line", () => {
  it("a 12 MB line is a RECORD_TOO_LARGE record whatever the chunking; the next line is read", async () => {
    for (const chunk of [1000, 1 << 16, 1 << 22]) {
      const records = await collect(
        readNdjson(
          repeated(
            [
              ['{"sku":"N-1","name":"', 1],
              ["z".repeat(1000), 12_000],
              ['"}\n{"sku":"G-1"}\n', 1],
            ],
            chunk,
          ),
          { source: "long.ndjson", maxRecordBytes: 1 << 20 },
        ),
      );
      expect(records.map((r) => [r.line, r.problem?.code, r.fields.sku])).toEqual([
        [1, "RECORD_TOO_LARGE", undefined],
        [2, undefined, "G-1"],
      ]);
    }
  });
});

describe("CSV: CRLF split across chunks", () => {
  it("a CR at a chunk end followed by LF is one line break, for rows kept and skimmed", async () => {
    const text = `sku,name\r\nA-1,${"y".repeat(50)}\r\nG-1,ok\r\n`;
    for (let cut = 1; cut < text.length; cut++) {
      const records = await collect(
        readCsv(pieces(text, [cut]), { source: "c.csv", maxRecordBytes: 20, delimiter: "," }),
      );
      expect(records.map((r) => [r.line, r.problem?.code])).toEqual([
        [2, "RECORD_TOO_LARGE"],
        [3, undefined],
      ]);
    }
  });
});

describe("NDJSON whose first line is longer than the sniffing window", () => {
  it("is still read as NDJSON when the name says so (.ndjson / .jsonl)", async () => {
    const dir = await mkdtemp(join(tmpdir(), "feedpipe-hostile-rows-"));
    try {
      for (const name of ["long.ndjson", "long.jsonl"]) {
        const file = join(dir, name);
        await writeFile(file, `{"sku":"N-1","name":"${"n".repeat(100_000)}"}\n{"sku":"N-2"}\n`);
        const feed = await openFeed(file, { worker: false });
        expect(feed.format).toBe("ndjson");
        const records = await collect(feed.records);
        expect(records.map((r) => r.fields.sku)).toEqual(["N-1", "N-2"]);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("a zip with several feed files", () => {
  const a = "sku,name\nA-1,first\n";
  const b = "sku,name\nB-1,second\n";
  for (const [method, descriptor] of [
    [0, false],
    [8, false],
    [8, true],
  ] as const) {
    it(`is refused naming its files (method ${method}${descriptor ? ", streamed" : ""}); one file still reads`, async () => {
      const dir = await mkdtemp(join(tmpdir(), "feedpipe-hostile-zip-"));
      try {
        const two = join(dir, "two.zip");
        await writeFile(
          two,
          zipOf(
            [
              ["a.csv", a],
              ["sub/", ""],
              ["b.csv", b],
            ],
            method,
            descriptor,
          ),
        );
        let err: unknown;
        try {
          await collect((await openFeed(two, { worker: false })).records);
        } catch (e) {
          err = e;
        }
        expect((err as FeedpipeError).code).toBe("FEED_ZIP_UNSUPPORTED");
        expect((err as FeedpipeError).message).toMatch(/more than one file \(a\.csv, b\.csv\)/);
        const one = join(dir, "one.zip");
        await writeFile(one, zipOf([["a.csv", a]], method, descriptor));
        const records = await collect((await openFeed(one, { worker: false })).records);
        expect(records.map((r) => r.fields.sku)).toEqual(["A-1"]);
        // What macOS Finder and other archivers add beside the feed is not a second feed.
        const finder = join(dir, "finder.zip");
        await writeFile(
          finder,
          zipOf(
            [
              ["a.csv", a],
              ["__MACOSX/", ""],
              ["__MACOSX/._a.csv", "Mac OS X resource fork"],
              [".DS_Store", "junk"],
            ],
            method,
            descriptor,
          ),
        );
        const fromFinder = await collect((await openFeed(finder, { worker: false })).records);
        expect(fromFinder.map((r) => r.fields.sku)).toEqual(["A-1"]);
        if (!descriptor) {
          // Before the feed, with their sizes known: stepped over.
          const junkFirst = join(dir, "junk-first.zip");
          await writeFile(
            junkFirst,
            zipOf(
              [
                ["__MACOSX/._a.csv", "Mac OS X resource fork"],
                ["a.csv", a],
              ],
              method,
            ),
          );
          const read = await collect((await openFeed(junkFirst, { worker: false })).records);
          expect(read.map((r) => r.fields.sku)).toEqual(["A-1"]);
        }
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }
});
