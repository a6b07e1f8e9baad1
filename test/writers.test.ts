import { parse as parseCsv } from "csv-parse/sync";
import fc from "fast-check";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import type { Row, Writer } from "../src/formats/types.js";
import {
  createWriter,
  escapeXml,
  formatFromPath,
  plainNumber,
  xmlName,
} from "../src/formats/writers/index.js";

function writeAll(writer: Writer, batches: Row[][]): string {
  return writer.header() + batches.map((b) => writer.batch(b)).join("") + writer.footer();
}

const columns = ["sku", "name", "price"];

describe("CSV writer", () => {
  it("writes a header and rows in column order with RFC 4180 quoting", () => {
    const w = createWriter("csv", { columns });
    const out = writeAll(w, [
      [
        { name: "Plain", sku: "A1", price: 15 },
        { sku: "A2", name: 'Say "hi", twice', price: 9.5 },
      ],
      [
        { sku: "A3", name: "two\nlines", price: 0 },
        { sku: "A4", name: "cr\rhere" },
        { sku: "A5", name: null, price: undefined },
      ],
    ]);
    expect(out).toBe(
      'sku,name,price\nA1,Plain,15\nA2,"Say ""hi"", twice",9.5\nA3,"two\nlines",0\nA4,"cr\rhere",\nA5,,\n',
    );
  });

  it("keeps unicode as is and prints numbers and booleans plainly", () => {
    const w = createWriter("csv", { columns: ["a", "b", "c", "d"] });
    expect(w.batch([{ a: "Café ☕ 𝄞", b: 1234567.89, c: true, d: 1e-7 }])).toBe(
      "Café ☕ 𝄞,1234567.89,true,0.0000001\n",
    );
    expect(w.batch([{ a: Number.NaN, b: Number.POSITIVE_INFINITY, c: false, d: 1e21 }])).toBe(
      ",,false,1000000000000000000000\n",
    );
  });

  it("protects string cells from formula injection, but not numbers", () => {
    const w = createWriter("csv", { columns: ["v"] });
    const cells = ['=HYPERLINK("http://x","y")', "+1", "-2", "@SUM(A1:A2)", "\tTab", "\rCR", "a=b", "safe"];
    expect(w.batch(cells.map((v) => ({ v })))).toBe(
      [
        `"'=HYPERLINK(""http://x"",""y"")"`,
        "'+1",
        "'-2",
        "'@SUM(A1:A2)",
        "'\tTab",
        `"'\rCR"`,
        "a=b",
        "safe",
        "",
      ].join("\n"),
    );
    expect(w.batch([{ v: -5 }, { v: 1 }])).toBe("-5\n1\n");
  });

  it("writes cells untouched with protectFormulas: false", () => {
    const w = createWriter("csv", { columns: ["v"], protectFormulas: false });
    expect(w.batch([{ v: "=1+2" }, { v: "-2" }, { v: "@x" }])).toBe("=1+2\n-2\n@x\n");
  });

  it("quotes header names that need it and writes nothing for no rows", () => {
    const w = createWriter("csv", { columns: ["a,b", 'q"', "=x"] });
    expect(writeAll(w, [])).toBe('"a,b","q""",=x\n');
    expect(w.batch([])).toBe("");
  });
});

describe("TSV writer", () => {
  it("uses tabs and quotes tabs, newlines and quotes by RFC rules", () => {
    const w = createWriter("tsv", { columns: ["id", "title", "note"] });
    const out = writeAll(w, [
      [
        { id: "1", title: "a\tb", note: "x,y" },
        { id: 2, title: 'He said "no"', note: "l1\nl2" },
      ],
    ]);
    expect(out).toBe('id\ttitle\tnote\n1\t"a\tb"\tx,y\n2\t"He said ""no"""\t"l1\nl2"\n');
  });

  it("reads back with csv-parse", () => {
    const w = createWriter("tsv", { columns: ["a", "b"], protectFormulas: false });
    const rows = [
      { a: "x\ty", b: 'q"q' },
      { a: "multi\nline", b: "" },
    ];
    const parsed = parseCsv(writeAll(w, [rows]), {
      columns: true,
      delimiter: "\t",
      relax_column_count: false,
    });
    expect(parsed).toEqual(rows);
  });
});

describe("NDJSON writer", () => {
  it("writes one object per line in column order, leaving out undefined", () => {
    const w = createWriter("ndjson", { columns: ["sku", "name", "price", "ok"] });
    const out = writeAll(w, [
      [{ price: 15, name: 'Q"uote\n☕', sku: "A1", ok: true }],
      [{ sku: "A2", name: undefined, price: null }],
    ]);
    expect(out).toBe('{"sku":"A1","name":"Q\\"uote\\n☕","price":15,"ok":true}\n{"sku":"A2","price":null}\n');
    for (const line of out.trimEnd().split("\n")) expect(() => JSON.parse(line)).not.toThrow();
  });

  it("uses each row's own keys when no columns are given", () => {
    const w = createWriter("ndjson", { columns: [] });
    expect(w.batch([{ b: 1, a: "x", c: undefined }])).toBe('{"b":1,"a":"x"}\n');
  });
});

describe("JSON writer", () => {
  it("streams one valid array across batches", () => {
    const w = createWriter("json", { columns: ["sku", "price"] });
    const out = writeAll(w, [[{ sku: "A", price: 1 }], [], [{ sku: "B", price: 2.5 }, { sku: "C" }]]);
    expect(out).toBe('[\n{"sku":"A","price":1},\n{"sku":"B","price":2.5},\n{"sku":"C"}\n]\n');
    expect(JSON.parse(out)).toEqual([{ sku: "A", price: 1 }, { sku: "B", price: 2.5 }, { sku: "C" }]);
  });

  it("is valid JSON with zero rows", () => {
    const out = writeAll(createWriter("json", { columns: ["a"] }), [[]]);
    expect(out).toBe("[\n]\n");
    expect(JSON.parse(out)).toEqual([]);
  });
});

describe("XML writer", () => {
  const productColumns = [
    "sku",
    "name",
    "url",
    "image",
    "price",
    "currency",
    "description",
    "category",
    "old_price",
    "brand",
    "gtin",
    "mpn",
    "availability",
  ];

  it("writes a Google RSS 2.0 feed (golden)", () => {
    const w = createWriter("xml", {
      columns: ["sku", "name", "price", "currency", "old_price", "tracking_url"],
      title: "Shop & Co",
    });
    const out = writeAll(w, [
      [
        {
          sku: "A1",
          name: "Tee <large>",
          price: 15,
          currency: "USD",
          tracking_url: "https://t.example/?a=1&b=2",
        },
        { sku: "A2", name: "Sale", price: 10, currency: "EUR", old_price: 20 },
      ],
    ]);
    expect(out).toBe(
      [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">',
        "<channel>",
        "  <title>Shop &amp; Co</title>",
        "  <description>Shop &amp; Co</description>",
        "  <item>",
        "    <g:id>A1</g:id>",
        "    <title>Tee &lt;large&gt;</title>",
        "    <g:title>Tee &lt;large&gt;</g:title>",
        "    <g:price>15.00 USD</g:price>",
        "    <g:tracking_url>https://t.example/?a=1&amp;b=2</g:tracking_url>",
        "  </item>",
        "  <item>",
        "    <g:id>A2</g:id>",
        "    <title>Sale</title>",
        "    <g:title>Sale</g:title>",
        "    <g:price>20.00 EUR</g:price>",
        "    <g:sale_price>10.00 EUR</g:sale_price>",
        "  </item>",
        "</channel>",
        "</rss>",
        "",
      ].join("\n"),
    );
  });

  it("parses back with fast-xml-parser with the right g: fields", () => {
    const w = createWriter("xml", { columns: [...productColumns, "merchant name", "1x"] });
    const row: Row = {
      sku: "SKU-1",
      name: 'Mug "Café" ☕',
      url: "https://shop.example/mug?x=1&y=2",
      image: "https://shop.example/mug.jpg",
      price: 12.5,
      currency: "GBP",
      description: "Line1\r\nLine2 <b>bold</b>\u0000\u0007 end",
      category: "Home > Kitchen",
      old_price: 10,
      brand: "Acme",
      gtin: "0012345678905",
      mpn: "M-1",
      availability: "in_stock",
      "merchant name": "Big Shop",
      "1x": 7,
    };
    const out = writeAll(w, [[row]]);
    const doc = new XMLParser({ parseTagValue: false }).parse(out);
    const item = doc.rss.channel.item;
    expect(item).toEqual({
      "g:id": "SKU-1",
      title: 'Mug "Café" ☕',
      "g:title": 'Mug "Café" ☕',
      "g:link": "https://shop.example/mug?x=1&y=2",
      "g:image_link": "https://shop.example/mug.jpg",
      "g:price": "12.50 GBP",
      "g:description": "Line1\nLine2 <b>bold</b> end", // CRLF → LF, as XML parsers normalise
      "g:product_type": "Home > Kitchen",
      "g:brand": "Acme",
      "g:gtin": "0012345678905",
      "g:mpn": "M-1",
      "g:availability": "in_stock",
      "g:merchant_name": "Big Shop",
      "g:_1x": "7",
    });
  });

  it("renames extra columns that would clash with mapped elements", () => {
    const w = createWriter("xml", { columns: ["sku", "id", "link"] });
    expect(w.batch([{ sku: "A", id: "x", link: "y" }])).toBe(
      "  <item>\n    <g:id>A</g:id>\n    <g:id_>x</g:id_>\n    <g:link_>y</g:link_>\n  </item>\n",
    );
  });

  it("writes an empty channel for no rows", () => {
    const out = writeAll(createWriter("xml", { columns: [] }), []);
    const doc = new XMLParser().parse(out);
    expect(doc.rss.channel.title).toBe("Product feed");
    expect(doc.rss.channel.item).toBeUndefined();
  });

  it("escapes and strips characters illegal in XML 1.0", () => {
    expect(escapeXml("a&b<c>\"d'")).toBe("a&amp;b&lt;c&gt;&quot;d'");
    expect(escapeXml("x\u0000\u0008\u000B\u001Fy\t\n")).toBe("xy\t\n");
    expect(escapeXml("lone \uD800 ok 𝄞")).toBe("lone  ok 𝄞");
    expect(xmlName("a b:c/d")).toBe("a_b_c_d");
    expect(xmlName("9lives")).toBe("_9lives");
  });
});

describe("createWriter / formatFromPath", () => {
  it("maps extensions to formats", () => {
    expect(formatFromPath("out/products.CSV")).toBe("csv");
    expect(formatFromPath("a.tsv")).toBe("tsv");
    expect(formatFromPath("a.ndjson")).toBe("ndjson");
    expect(formatFromPath("a.jsonl")).toBe("ndjson");
    expect(formatFromPath("a.json")).toBe("json");
    expect(formatFromPath("feed.xml")).toBe("xml");
    expect(formatFromPath("feed.csv.gz")).toBeUndefined();
    expect(formatFromPath("-")).toBeUndefined();
    expect(formatFromPath("dir.csv/noext")).toBeUndefined();
  });

  it("rejects an unknown format with a coded error", () => {
    expect(() => createWriter("yaml" as never, { columns: [] })).toThrow(FeedpipeError);
  });

  it("prints plain numbers", () => {
    expect(plainNumber(15)).toBe("15");
    expect(plainNumber(-0.5)).toBe("-0.5");
    expect(plainNumber(123e-9)).toBe("0.000000123");
  });
});

describe("CSV round trip (property)", () => {
  const cell = fc.oneof(
    fc.string({
      unit: fc.constantFrom("a", "Z", " ", ",", '"', "\n", "\r", "\t", "=", "-", "é", "☕", "𝄞", "'"),
    }),
    fc.string(),
    fc.string({ unit: "grapheme" }),
  );
  for (const format of ["csv", "tsv"] as const) {
    it(`${format}: random rows read back equal`, () => {
      fc.assert(
        fc.property(
          fc
            .integer({ min: 1, max: 5 })
            .chain((n) =>
              fc.tuple(
                fc.constant(n),
                fc.array(fc.array(cell, { minLength: n, maxLength: n }), { maxLength: 20 }),
              ),
            ),
          ([n, data]) => {
            const cols = Array.from({ length: n }, (_, i) => `c${i}`);
            const rows = data.map((vals) => Object.fromEntries(cols.map((c, i) => [c, vals[i]!])));
            const w = createWriter(format, { columns: cols, protectFormulas: false });
            const text = writeAll(w, [rows]);
            const back = parseCsv(text, {
              columns: true,
              delimiter: format === "csv" ? "," : "\t",
              record_delimiter: "\n",
            });
            expect(back).toEqual(rows);
          },
        ),
        { seed: 4217, numRuns: 300 },
      );
    });
  }
});
