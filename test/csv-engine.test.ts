import fc from "fast-check";
import { parse } from "csv-parse/sync";
import { describe, expect, it } from "vitest";
import {
  CsvEngine,
  type CsvRow,
  CsvRowTooLargeError,
  CsvUnclosedQuoteError,
} from "../src/formats/csv-engine.js";
import { runEngine as runWith } from "./helpers/csv-engine.js";

function runEngine(text: string, cuts: number[], delimiter = ","): CsvRow[] {
  return runWith(text, cuts, { delimiter });
}

const cell = fc.oneof(
  fc.string({
    unit: fc.constantFrom("a", "b", " ", ",", '"', "\n", "\r\n", "é", "😀", ";", "\t", "|"),
    maxLength: 8,
  }),
  fc.string({ maxLength: 5 }),
);

function serialise(rows: string[][], delimiter: string, eol: string): string {
  return rows
    .map((r) =>
      r
        .map((c) =>
          /["\n\r]/.test(c) || c.includes(delimiter) || c === "" ? `"${c.replace(/"/g, '""')}"` : c,
        )
        .join(delimiter),
    )
    .join(eol);
}

describe("CSV engine", () => {
  it("parses quotes, doubled quotes, embedded newlines and mixed line endings with start lines", () => {
    const text = 'a,b,c\r\n1,"x, ""y""\nz",3\n\n4,5 " inch,6\r7,8,9';
    const rows = runEngine(text, []);
    expect(rows.map((r) => r.cells)).toEqual([
      ["a", "b", "c"],
      ["1", 'x, "y"\nz', "3"],
      [""],
      ["4", '5 " inch', "6"],
      ["7", "8", "9"],
    ]);
    expect(rows.map((r) => r.line)).toEqual([1, 2, 4, 5, 6]);
    expect(rows.map((r) => r.blank)).toEqual([false, false, true, false, false]);
  });

  it("keeps text after a closing quote like spreadsheets do, and marks the row unless it is spaces", () => {
    const [row] = runEngine('"abc"def,g\n', []);
    expect(row!.cells).toEqual(["abcdef", "g"]);
    expect(row!.badQuote).toEqual({ column: 1, text: '"abc"def' });
    const [spaces] = runEngine('"abc"  ,g\n', []);
    expect(spaces!.cells).toEqual(["abc  ", "g"]);
    expect(spaces!.badQuote).toBeUndefined();
  });

  it("marks the first field with text after its closing quote, for any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(), { maxLength: 8 }),
        fc.constantFrom("\n", "\r\n", "\r"),
        (rawCuts, eol) => {
          const text = ["h1,h2,h3", '1,"Ba"r,"c"d', '2,"ok",3', '"x\ny"z,5,6', "7,8,9"].join(eol) + eol;
          const rows = runEngine(
            text,
            rawCuts.map((c) => c % (text.length + 1)),
          );
          expect(rows.map((r) => r.badQuote)).toEqual([
            undefined,
            { column: 2, text: '"Ba"r' },
            undefined,
            { column: 1, text: '"x\ny"z' },
            undefined,
          ]);
          expect(rows[1]!.cells).toEqual(["1", "Bar", "cd"]);
          expect(rows.map((r) => r.line)).toEqual([1, 2, 3, 4, 6]);
        },
      ),
    );
  });

  it("reports an unclosed quote with the line where it opened", () => {
    expect(() => runEngine('a,b\n1,2\n3,"open\nmore\n', [5])).toThrow(CsvUnclosedQuoteError);
    try {
      runEngine('a,b\n1,2\n3,"open\nmore\n', []);
    } catch (e) {
      expect((e as CsvUnclosedQuoteError).line).toBe(3);
    }
  });

  it("caps a pending row so an unclosed quote cannot eat memory", () => {
    const engine = new CsvEngine({ delimiter: ",", maxRowChars: 100 });
    const out: CsvRow[] = [];
    engine.push('a,"', out);
    expect(() => engine.push("x".repeat(200), out)).toThrow(CsvRowTooLargeError);
  });

  it("agrees with csv-parse on random tables, for any chunking and delimiter", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(cell, { minLength: 1, maxLength: 5 }), { minLength: 1, maxLength: 8 }),
        fc.constantFrom(",", ";", "\t", "|"),
        fc.constantFrom("\n", "\r\n"),
        fc.array(fc.nat(), { maxLength: 6 }),
        (rows, delimiter, eol, rawCuts) => {
          const text = serialise(rows, delimiter, eol) + eol;
          const cuts = rawCuts.map((c) => c % (text.length + 1));
          const ours = runEngine(text, cuts, delimiter).map((r) => r.cells);
          const theirs = parse(text, { delimiter, relax_column_count: true }) as string[][];
          expect(ours).toEqual(theirs);
          expect(ours).toEqual(rows);
        },
      ),
      { numRuns: 400 },
    );
  });

  it("counts start lines correctly across chunk boundaries", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(), { maxLength: 10 }), (rawCuts) => {
        const text = 'h1,h2\n"a\nb",1\r\n2,"c\r\nd"\n\n3,4\r5,6\n';
        const rows = runEngine(
          text,
          rawCuts.map((c) => c % (text.length + 1)),
        );
        expect(rows.map((r) => r.line)).toEqual([1, 2, 4, 6, 7, 8]);
      }),
    );
  });
});
