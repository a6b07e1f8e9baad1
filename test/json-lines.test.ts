/**
 * JSON array records carry the line their element starts on (src/formats/json-elements.ts), so a
 * report names `line 12` as it does for CSV, not only `record 7`: on every path (runs parsed in one
 * JSON.parse, elements cut and parsed alone, the reader thread's packed batches) the line is one
 * more than the newlines before the element's offset, for any layout and chunking.
 */
import fc from "fast-check";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SourceRecord } from "../src/core/record.js";
import { readJsonWith } from "../src/formats/json.js";
import { readJsonPacked } from "../src/formats/json-packed.js";
import { transferList, unpackBatch } from "../src/formats/pack.js";
import { runCli } from "./helpers/cli.js";
import { pieces } from "./helpers/text.js";

const SOURCE = "feed.json";
const opts = (jsonPath: string) => ({ source: SOURCE, maxRecordBytes: 1 << 20, jsonPath });

async function inProcess(
  text: string,
  cuts: number[],
  runs: boolean,
  jsonPath: string,
): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const b of readJsonWith(pieces(text, cuts), opts(jsonPath), runs)) out.push(...b);
  return out;
}

async function packed(text: string, cuts: number[], jsonPath: string): Promise<SourceRecord[]> {
  const out: SourceRecord[] = [];
  for await (const p of readJsonPacked(pieces(text, cuts), opts(jsonPath))) {
    out.push(...unpackBatch(structuredClone(p, { transfer: transferList(p) })));
  }
  return out;
}

const linesBefore = (text: string, offset: number): number => {
  let n = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) n++;
  return n;
};

/** Valid elements: flat and nested objects, pretty-printed or not, and a few non-objects. */
const element = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(
        fc.dictionary(
          fc.constantFrom("sku", "name", "price", "tags", "x y"),
          fc.oneof(fc.string(), fc.integer()),
        ),
        fc.constantFrom(undefined, 1, 2, "\t"),
      )
      .map(([o, indent]) => JSON.stringify(o, null, indent)),
  },
  {
    weight: 2,
    arbitrary: fc
      .tuple(fc.jsonValue({ maxDepth: 2 }), fc.constantFrom(undefined, 2))
      .map(([v, indent]) => JSON.stringify({ sku: "N", nested: v }, null, indent)),
  },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 1 }).map((v) => JSON.stringify(v, null, 2)) },
);
const separator = fc.constantFrom(",", ",\n", ",\r\n", " ,\n\n  ", "\n,", ",\n\t");
const envelope = fc.constantFrom(
  { before: "[", after: "]", jsonPath: "" },
  { before: "\ufeff[\n  ", after: "\n]\n", jsonPath: "" },
  { before: '{\n  "meta": {"n": 1},\n  "products": [\n', after: "\n  ]\n}\n", jsonPath: "products" },
);
const document = fc
  .tuple(envelope, fc.array(fc.tuple(element, separator), { minLength: 1, maxLength: 15 }))
  .map(([{ before, after, jsonPath }, elements]) => ({
    text: before + elements.map(([e, sep], i) => (i === 0 ? e : sep + e)).join("") + after,
    jsonPath,
  }));
const withCuts = document.chain((doc) =>
  fc.tuple(
    fc.constant(doc),
    fc.oneof(
      fc.constant(doc.text.length).map((n) => [n]),
      fc.array(fc.integer({ min: 1, max: Math.max(1, doc.text.length) }), { minLength: 1, maxLength: 6 }),
    ),
  ),
);

describe("JSON array records: the line each element starts on", () => {
  it("is one more than the newlines before its offset, on every path and for any chunking (property)", async () => {
    let records = 0;
    let multiLine = 0;
    await fc.assert(
      fc.asyncProperty(withCuts, async ([{ text, jsonPath }, cuts]) => {
        for (const got of [
          await inProcess(text, cuts, true, jsonPath),
          await inProcess(text, cuts, false, jsonPath),
          await packed(text, cuts, jsonPath),
        ]) {
          expect(got.length).toBeGreaterThan(0);
          for (const r of got) {
            expect(r.offset, text).toBeTypeOf("number");
            expect(r.line, `${JSON.stringify(text)} record ${r.index}`).toBe(linesBefore(text, r.offset!));
            records++;
            if (r.line! > 1) multiLine++;
          }
        }
      }),
      { numRuns: 300 },
    );
    // The property must reach elements past the first line.
    expect(multiLine).toBeGreaterThan(records / 4);
  });

  it("names the line each element of a pretty-printed document starts on", async () => {
    const products = [
      { sku: "A1", name: "Shirt", price: "abc" },
      { sku: "A2", name: "Cap", price: "5.00" },
      { sku: "A3", name: "Hat", price: "-1" },
    ];
    const text = `{\n  "products": ${JSON.stringify(products, null, 2).replace(/\n/g, "\n  ")}\n}\n`;
    const starts = [...text.matchAll(/\{\n\s+"sku"/g)].map((m) => linesBefore(text, m.index));
    expect(starts).toEqual([3, 8, 13]);
    for (const runs of [true, false]) {
      const got = await inProcess(text, [text.length], runs, "products");
      expect(got.map((r) => r.line)).toEqual(starts);
    }
    expect((await packed(text, [7, 50, 90], "products")).map((r) => r.line)).toEqual(starts);
  });
});

describe("feedpipe validate on a JSON array", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), "feedpipe-json-lines-"));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("reports and rejects by line, with the thread on and off", async () => {
    const ok = { url: "https://shop.example/p", image_url: "https://shop.example/i.jpg", currency: "USD" };
    const products = [
      { sku: "A1", name: "Shirt", price: "12.00", ...ok },
      { sku: "A2", name: "Cap", price: "not a price", ...ok },
      { sku: "A3", name: "Hat", price: "3.00", ...ok },
    ];
    const feed = join(dir, "feed.json");
    const text = JSON.stringify(products, null, 2) + "\n";
    await writeFile(feed, text);
    const second = linesBefore(text, text.indexOf('{\n    "sku": "A2"'));
    expect(second).toBe(10);
    for (const mode of ["off", "on"]) {
      const rejects = join(dir, `rejects-${mode}.ndjson`);
      const r = await runCli([
        "validate",
        feed,
        "--report",
        "json",
        "--rejects",
        rejects,
        "--read-thread",
        mode,
      ]);
      expect(r.code, r.err).toBe(1);
      const report = JSON.parse(r.out) as { rules: { code: string; examples: { line?: number }[] }[] };
      const price = report.rules.find((x) => x.code === "PRICE_INVALID");
      expect(price?.examples[0]?.line).toBe(second);
      const rows = (await readFile(rejects, "utf8"))
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l) as { line?: number });
      expect(rows.map((x) => x.line)).toEqual([second]);
    }
  });
});
