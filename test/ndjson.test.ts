import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { SourceRecord } from "../src/core/record.js";
import type { ReaderStream } from "../src/formats/reader.js";
import { readNdjson } from "../src/formats/ndjson.js";
import { pieces } from "./helpers/text.js";

const FIXTURES = join(import.meta.dirname, "fixtures", "ndjson");

function fixture(name: string): string {
  return readFileSync(join(FIXTURES, name, "feed.ndjson"), "utf8");
}

async function read(
  text: string,
  size = 1 << 16,
  maxRecordBytes = 1 << 20,
): Promise<{ records: SourceRecord[]; batches: number; stream: ReaderStream }> {
  const stream = readNdjson(pieces(text, size), { source: "feed.ndjson", maxRecordBytes });
  const records: SourceRecord[] = [];
  let batches = 0;
  for await (const batch of stream) {
    batches++;
    records.push(...batch);
  }
  return { records, batches, stream };
}

const CHUNKINGS = [1 << 16, 1, 2, 5, 13];

describe("readNdjson", () => {
  it("reads one object per line with its line number", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("good"), size);
      expect(records).toEqual([
        { source: "feed.ndjson", index: 1, line: 1, fields: { id: "1", title: "Mug", price: 9.99 } },
        { source: "feed.ndjson", index: 2, line: 2, fields: { id: "2", title: "Lamp é", tags: ["a", "b"] } },
        { source: "feed.ndjson", index: 3, line: 3, fields: { id: "3", title: "Desk", dims: { w: 1 } } },
      ]);
      expect(stream.stats).toEqual({ records: 3, problems: 0, blankRows: 0 });
    }
  });

  it("keeps bad lines as problem records: NDJSON_MALFORMED and NDJSON_NOT_OBJECT, with line and raw text", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("bad-line"), size);
      expect(records.map((r) => [r.index, r.line, r.problem?.code ?? "ok"])).toEqual([
        [1, 1, "ok"],
        [2, 2, "NDJSON_MALFORMED"],
        [3, 3, "ok"],
        [4, 4, "NDJSON_NOT_OBJECT"],
        [5, 5, "NDJSON_NOT_OBJECT"],
        [6, 6, "ok"],
      ]);
      expect(records[1]!.raw).toBe('{"id":"2","title":"broken');
      expect(records[1]!.problem!.message).toMatch(/^line 2 is not valid JSON: /);
      expect(records[3]!.problem!.message).toBe("line 4 holds an array, not an object");
      expect(records[3]!.raw).toBe("[1,2,3]");
      expect(records[4]!.problem!.message).toBe("line 5 holds a number, not an object");
      expect(records[5]!.fields).toEqual({ id: "6", title: "last, no newline" });
      expect(stream.stats).toEqual({ records: 6, problems: 3, blankRows: 0 });
    }
  });

  it("skips and counts blank lines (empty and whitespace-only)", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("blank-lines"), size);
      expect(records.map((r) => [r.index, r.line, r.fields.id])).toEqual([
        [1, 2, "1"],
        [2, 5, "2"],
        [3, 7, "3"],
      ]);
      // lines 1, 3, 4, 6 and 8
      expect(stream.stats.blankRows).toBe(5);
    }
  });

  it("reads CRLF files", async () => {
    for (const size of CHUNKINGS) {
      const { records, stream } = await read(fixture("crlf"), size);
      expect(records.map((r) => [r.line, r.fields])).toEqual([
        [1, { id: "1", note: "a\r\nb" }],
        [2, { id: "2" }],
        [4, { id: "3" }],
      ]);
      expect(stream.stats.blankRows).toBe(1);
      expect(records.every((r) => r.problem === undefined)).toBe(true);
    }
  });

  it("gives lines over the cap a RECORD_TOO_LARGE record without their text, and goes on", async () => {
    const long = JSON.stringify({ id: "2", text: "x".repeat(500) });
    const text = `{"id":"1"}\n${long}\n{"id":"3"}\n${long}`;
    for (const size of [1 << 16, 1, 7, 64, 100]) {
      const { records, stream } = await read(text, size, 100);
      expect(records.map((r) => [r.index, r.line, r.problem?.code ?? r.fields.id])).toEqual([
        [1, 1, "1"],
        [2, 2, "RECORD_TOO_LARGE"],
        [3, 3, "3"],
        [4, 4, "RECORD_TOO_LARGE"],
      ]);
      expect(records[1]!.raw).toBeUndefined();
      expect(records[1]!.fields).toEqual({});
      expect(records[1]!.problem!.message).toBe(
        `line is ${long.length} characters long, over the limit of 100`,
      );
      expect(stream.stats.problems).toBe(2);
    }
  });

  it("strips a BOM and yields one batch per chunk", async () => {
    const lines = Array.from({ length: 500 }, (_, i) => JSON.stringify({ id: String(i) }));
    const { records, batches } = await read(`\uFEFF${lines.join("\n")}\n`, 1000);
    expect(records).toHaveLength(500);
    expect(records[0]!.fields).toEqual({ id: "0" });
    expect(records[499]).toMatchObject({ index: 500, line: 500 });
    expect(batches).toBeGreaterThan(1);
    expect(batches).toBeLessThan(500 / 10);
  });

  it("rejects bad options before reading", () => {
    expect(() => readNdjson(pieces("", 1), { source: "f", maxRecordBytes: -1 })).toThrow(
      /Invalid option maxRecordBytes/,
    );
  });
});
