import { readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, describe, expect, it } from "vitest";
import { collect } from "../src/core/batch.js";
import { FeedpipeError } from "../src/core/errors.js";
import type { SourceRecord } from "../src/core/record.js";
import { openFeed, type ReadFeedOptions } from "../src/formats/index.js";
import { readXml } from "../src/formats/xml.js";
import { closeHttpAgents } from "../src/io/http.js";

const FIX = "test/fixtures/xml";

async function* chunks(...pieces: string[]): AsyncIterable<string> {
  for (const p of pieces) yield p;
}

function read(doc: string | string[], recordTag = "item", maxRecordBytes = 1 << 20): Promise<SourceRecord[]> {
  const pieces = typeof doc === "string" ? [doc] : doc;
  return collect(readXml(chunks(...pieces), { source: "feed.xml", recordTag, maxRecordBytes }));
}

/** Records read through openFeed, and the error that ended the stream (if any). */
async function readFeed(
  spec: string,
  options: ReadFeedOptions = {},
): Promise<{
  records: SourceRecord[];
  batches: number;
  error: unknown;
  format: string;
  recordTag?: string | undefined;
}> {
  const feed = await openFeed(spec, options);
  const records: SourceRecord[] = [];
  let batches = 0;
  let error: unknown;
  try {
    for await (const batch of feed.records) {
      batches++;
      records.push(...batch);
    }
  } catch (err) {
    error = err;
  }
  return { records, batches, error, format: feed.format, recordTag: feed.recordTag };
}

/** Line and UTF-8 byte offset where `needle` starts in a fixture file. */
function startOf(file: string, needle: string, encoding: BufferEncoding = "utf8") {
  const text = readFileSync(file, encoding);
  const idx = text.indexOf(needle);
  if (idx < 0) throw new Error(`${needle} not in ${file}`);
  const before = text.slice(0, idx);
  return { line: before.split("\n").length, offset: Buffer.byteLength(before) };
}

const GOOGLE_1 = {
  "g:id": "NR-1001",
  title: "Trail Jacket & Hood – Café edition",
  description: "<b>Warm</b> jacket. Not the end: </item> still inside <i>CDATA</i>",
  link: "https://shop.example.com/p/nr-1001?color=red&size=m",
  "g:image_link": "https://cdn.example.com/img/nr-1001.jpg",
  "g:additional_image_link": [
    "https://cdn.example.com/img/nr-1001-b.jpg",
    "https://cdn.example.com/img/nr-1001-c.jpg",
  ],
  "g:price": "129.00 USD",
  "g:sale_price": "99.00 USD",
  "g:availability": "in_stock",
  "g:brand": "Northridge",
  "g:gtin": "00012345678905",
  "g:condition": "new",
  "g:shipping": [
    { "g:country": "US", "g:service": "Standard", "g:price": "4.95 USD" },
    { "g:country": "CA", "g:price": "9.95 USD" },
  ],
};
const GOOGLE_2 = {
  "g:id": "NR-1002",
  title: "Fleece Gloves",
  description: 'Soft été gloves <unisex> "one size"',
  link: "https://shop.example.com/p/nr-1002",
  "g:image_link": "https://cdn.example.com/img/nr-1002.jpg",
  "g:additional_image_link": "https://cdn.example.com/img/nr-1002-b.jpg",
  "g:price": "19.50 USD",
  "g:availability": "out_of_stock",
  "g:brand": "Northridge",
  "g:mpn": "GLV-2",
  "g:product_type": "Apparel > Accessories",
};
const GOOGLE_3 = {
  "g:id": "NR-1003",
  title: "Løkke Backpack 20 L",
  description: "",
  link: "https://shop.example.com/p/nr-1003",
  "g:image_link": "https://cdn.example.com/img/nr-1003.jpg",
  "g:price": "59.00 EUR",
  "g:availability": "preorder",
  "g:availability_date": "2025-03-01T00:00:00Z",
  "g:brand": "Blåbær",
  "g:gtin": "4006381333931",
};

describe("readXml on the fixtures (through openFeed)", () => {
  it("google-rss: sniffs <item>, exact fields, repeated tags as arrays, groups, lines and byte offsets", async () => {
    const file = `${FIX}/google-rss/feed.xml`;
    const { records, error, format, recordTag } = await readFeed(file);
    expect(error).toBeUndefined();
    expect([format, recordTag]).toEqual(["xml", "item"]);
    expect(records.map((r) => r.fields)).toEqual([GOOGLE_1, GOOGLE_2, GOOGLE_3]);
    const at = ["NR-1001", "NR-1002", "NR-1003"].map((id) => startOf(file, `<item>\n<g:id>${id}`));
    expect(records.map((r) => [r.source, r.index, r.line, r.offset, r.problem])).toEqual([
      [file, 1, at[0]!.line, at[0]!.offset, undefined],
      [file, 2, at[1]!.line, at[1]!.offset, undefined],
      [file, 3, at[2]!.line, at[2]!.offset, undefined],
    ]);
    expect(records[0]!.line).toBe(9);
  });

  it("atom: sniffs <entry>; plain Atom names, link as {@href}, text with attributes as #text", async () => {
    const file = `${FIX}/atom/feed.xml`;
    const { records, error, recordTag } = await readFeed(file);
    expect(error).toBeUndefined();
    expect(recordTag).toBe("entry");
    expect(records.map((r) => r.fields)).toEqual([
      {
        id: "tag:shop.example.com,2025:A-1",
        title: { "#text": "Espresso Cup Set", "@type": "text" },
        link: { "@href": "https://shop.example.com/p/a-1" },
        summary: "Set of <4> cups",
        "g:id": "A-1",
        "g:price": "24.00 EUR",
        "g:image_link": "https://cdn.example.com/a-1.jpg",
        "g:availability": "in stock",
        "g:gtin": "0885909950805",
      },
      {
        id: "tag:shop.example.com,2025:A-2",
        title: "Milk Jug",
        link: [
          { "@rel": "alternate", "@href": "https://shop.example.com/p/a-2" },
          { "@rel": "enclosure", "@href": "https://cdn.example.com/a-2.pdf", "@type": "application/pdf" },
        ],
        "g:id": "A-2",
        "g:price": "12.50 EUR",
        "g:availability": "out of stock",
      },
    ]);
    expect(records.map((r) => [r.line, r.offset])).toEqual(
      ["A-1", "A-2"].map((id) => {
        const p = startOf(file, `<entry>\n    <id>tag:shop.example.com,2025:${id}`);
        return [p.line, p.offset];
      }),
    );
  });

  it("custom-product: sniffs <product>; record attributes, nested same-name element, self-closing record", async () => {
    const { records, error, recordTag } = await readFeed(`${FIX}/custom-product/feed.xml`);
    expect(error).toBeUndefined();
    expect(recordTag).toBe("product");
    expect(records.map((r) => r.fields)).toEqual([
      {
        "@id": "1",
        "@status": "active",
        sku: "ACME-1",
        name: { "@lang": "en", "#text": "Anvil" },
        price: { "@currency": "USD", "#text": "100.00" },
        ean: "0012345678905",
        categories: { category: ["Tools", "Heavy"] },
        note: { "@title": "a > b", "#text": "quoted > in attribute" },
        related: { product: { "@id": "9", sku: "ACME-9" } },
      },
      { "@id": "2" },
      { "@id": "3", sku: "ACME-3", name: "Rocket Skates", price: { "@currency": "USD", "#text": "250" } },
    ]);
    expect(records.map((r) => r.line)).toEqual([5, 16, 17]);
  });

  it("custom-product with an explicit path record tag", async () => {
    const { records } = await readFeed(`${FIX}/custom-product/feed.xml`, {
      recordTag: "catalog/products/product",
    });
    expect(records.map((r) => r.fields["@id"])).toEqual(["1", "2", "3"]);
  });

  it("malformed-record: the bad item is a problem record with its raw text; the run goes on", async () => {
    const { records, error } = await readFeed(`${FIX}/malformed-record/feed.xml`);
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.index, r.line, r.fields["g:id"]])).toEqual([
      [1, 4, "OK-1"],
      [2, 8, undefined],
      [3, 12, "OK-3"],
    ]);
    const bad = records[1]!;
    expect(bad.fields).toEqual({});
    expect(bad.problem).toMatchObject({ code: "XML_MALFORMED", severity: "error" });
    expect(bad.problem!.message).toContain("</titel>");
    expect(bad.raw).toBe("<item>\n<g:id>BAD-2</g:id>\n<title>Second</titel>\n</item>");
    expect(records[0]!.problem).toBeUndefined();
    expect(records[2]!.problem).toBeUndefined();
  });

  it("unterminated: the complete items come first, then FEED_XML_UNTERMINATED naming the line", async () => {
    const file = `${FIX}/unterminated/feed.xml`;
    const { records, error } = await readFeed(file);
    expect(records.map((r) => r.fields)).toEqual([
      { "g:id": "T-1", title: "One" },
      { "g:id": "T-2", title: "Two" },
    ]);
    expect(error).toBeInstanceOf(FeedpipeError);
    expect((error as FeedpipeError).code).toBe("FEED_XML_UNTERMINATED");
    expect((error as FeedpipeError).context).toMatchObject({ source: file, line: 12 });
    expect((error as Error).message).toContain(`${file}:12`);
  });

  it("latin1: decodes ISO-8859-1 declared in the XML declaration", async () => {
    const feed = await openFeed(`${FIX}/latin1/feed.xml`);
    expect(feed.encoding).toBe("windows-1252");
    const records = await collect(feed.records);
    expect(records.map((r) => r.fields)).toEqual([
      { "g:id": "L-1", title: "Café crème", "g:brand": "Créateur", "g:price": "3.50 EUR" },
      { "g:id": "L-2", title: "Thé vert", "g:price": "4.00 EUR" },
    ]);
    expect(records.every((r) => r.problem === undefined)).toBe(true);
    // Byte offsets are in the decoded text written as UTF-8 (é is 2 bytes there).
    const decoded = readFileSync(`${FIX}/latin1/feed.xml`, "latin1");
    expect(records[1]!.offset).toBe(Buffer.byteLength(decoded.slice(0, decoded.lastIndexOf("<item>"))));
  });

  it("gzipped: the same records as the plain feed", async () => {
    const plain = await readFeed(`${FIX}/google-rss/feed.xml`);
    const feed = await openFeed(`${FIX}/gzipped/feed.xml.gz`);
    expect([feed.compression, feed.format, feed.recordTag]).toEqual(["gzip", "xml", "item"]);
    const records = await collect(feed.records);
    expect(records.map(({ source: _s, ...r }) => r)).toEqual(plain.records.map(({ source: _s, ...r }) => r));
  });

  it("billion-laughs: DOCTYPE entities are never expanded", async () => {
    const { records, error } = await readFeed(`${FIX}/billion-laughs/feed.xml`);
    expect(error).toBeUndefined();
    expect(records).toHaveLength(1);
    expect(records[0]!.fields).toEqual({ "g:id": "LOL-1", title: "&lol9;" });
    expect(records[0]!.line).toBe(17);
  });

  it("an oversize record is a RECORD_TOO_LARGE problem record; the others are read", async () => {
    const { records, error } = await readFeed(`${FIX}/google-rss/feed.xml`, { maxRecordBytes: 700 });
    expect(error).toBeUndefined();
    expect(records.map((r) => [r.index, r.problem?.code, r.fields["g:id"]])).toEqual([
      [1, "RECORD_TOO_LARGE", undefined],
      [2, undefined, "NR-1002"],
      [3, undefined, "NR-1003"],
    ]);
    expect(records[0]!.problem!.message).toMatch(/record is \d+ characters long, over the limit of 700/);
    expect(records[0]!.raw).toMatch(/^<item>\n<g:id>NR-1001/);
    expect(records[0]!.line).toBe(9);
  });
});

describe("readXml", () => {
  it("reads records split across arbitrary chunks, one batch per chunk that completes records", async () => {
    const doc = readFileSync(`${FIX}/google-rss/feed.xml`, "utf8");
    const pieces: string[] = [];
    for (let i = 0; i < doc.length; i += 7) pieces.push(doc.slice(i, i + 7));
    const batches: SourceRecord[][] = [];
    for await (const batch of readXml(chunks(...pieces), {
      source: "f",
      recordTag: "item",
      maxRecordBytes: 5000,
    })) {
      batches.push(batch);
    }
    expect(batches.map((b) => b.length)).toEqual([1, 1, 1]);
    expect(batches.flat().map((r) => r.fields)).toEqual([GOOGLE_1, GOOGLE_2, GOOGLE_3]);
    const whole = await read(doc);
    expect(batches.flat().map(({ source: _s, ...r }) => r)).toEqual(whole.map(({ source: _s, ...r }) => r));
  });

  it("rewrites another prefix bound to the Google namespace to g:", async () => {
    const doc = `<rss xmlns:gm="http://base.google.com/ns/1.0"><channel>
<item><gm:id>1</gm:id><title>T</title><gm:shipping><gm:price>1 USD</gm:price></gm:shipping></item>
</channel></rss>`;
    expect((await read(doc))[0]!.fields).toEqual({
      "g:id": "1",
      title: "T",
      "g:shipping": { "g:price": "1 USD" },
    });
  });

  it("rewrites unprefixed names when the Google namespace is the default on the item; drops xmlns", async () => {
    const doc = `<rss><channel>
<item xmlns="http://base.google.com/ns/1.0"><id>1</id><price currency="USD">5</price></item>
<item><id>2</id></item>
</channel></rss>`;
    const records = await read(doc);
    expect(records.map((r) => r.fields)).toEqual([
      { "g:id": "1", "g:price": { "#text": "5", "@currency": "USD" } },
      { id: "2" },
    ]);
  });

  it("leaves g: alone when it is already the Google prefix, and other namespaces untouched", async () => {
    const doc = `<rss xmlns:g="http://base.google.com/ns/1.0" xmlns:c="urn:x"><item xmlns:c="urn:x"><g:id>1</g:id><c:size>M</c:size></item></rss>`;
    expect((await read(doc))[0]!.fields).toEqual({ "g:id": "1", "c:size": "M" });
  });

  it("keeps elements named like JavaScript built-ins as plain data", async () => {
    const records = await read(
      "<r><item><toString>x</toString></item><item><__proto__>y</__proto__></item>" +
        "<item><g:shipping><constructor/></g:shipping></item><item><a>ok</a><g:toString>p</g:toString></item></r>",
    );
    expect(records.map((r) => r.problem)).toEqual([undefined, undefined, undefined, undefined]);
    expect(records[0]!.fields.toString).toBe("x");
    expect(Object.getOwnPropertyDescriptor(records[1]!.fields, "__proto__")?.value).toBe("y");
    expect(Object.getPrototypeOf(records[1]!.fields)).toBe(Object.prototype);
    expect(records[2]!.fields["g:shipping"]).toEqual({ constructor: "" });
    expect(records[3]!.fields).toEqual({ a: "ok", "g:toString": "p" });
  });

  it("reports more kinds of malformed records and goes on", async () => {
    const bad = [
      "<item><title>a</item>",
      "<item><a href=x>b</a></item>",
      "<item><a>x</b></item>",
      "<item><!DOCTYPE x [<!ENTITY a 'b'>]><a>&a;</a></item>",
    ];
    const records = await read(`<r>${bad.join("\n")}\n<item><ok>1</ok></item></r>`);
    expect(records).toHaveLength(bad.length + 1);
    expect(records.at(-1)!.fields).toEqual({ ok: "1" });
    expect(
      records.slice(0, -1).every((r) => r.problem?.code === "XML_MALFORMED" && r.raw !== undefined),
    ).toBe(true);
  });

  it("keeps GTIN leading zeros and every value as a string", async () => {
    const records = await read("<r><item><g:gtin>0001234567895</g:gtin><n>1e3</n><b>true</b></item></r>");
    expect(records[0]!.fields).toEqual({ "g:gtin": "0001234567895", n: "1e3", b: "true" });
  });

  it("validates options before any input is read", () => {
    const never: AsyncIterable<string> = {
      [Symbol.asyncIterator]() {
        throw new Error("read too early");
      },
    };
    expect(() => readXml(never, { source: "x", recordTag: "", maxRecordBytes: 10 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
    expect(() => readXml(never, { source: "x", recordTag: "item", maxRecordBytes: -1 })).toThrow(
      expect.objectContaining({ code: "INVALID_OPTION" }),
    );
  });
});

describe("readXml over HTTP", () => {
  let server: Server | undefined;
  afterAll(async () => {
    await closeHttpAgents();
    server?.closeAllConnections();
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
  });

  it("yields the first record before the body has ended", async () => {
    let firstSeen!: () => void;
    const firstRecordReceived = new Promise<void>((resolve) => {
      firstSeen = resolve;
    });
    let bodyEnded = false;
    server = createServer((_req, res) => {
      res.writeHead(200, { "content-type": "application/xml" });
      // More than the 64 KiB openFeed sniffs before handing text to the reader.
      res.write(
        `<?xml version="1.0"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0"><channel>\n` +
          `<!-- ${"padding ".repeat(10_000)} -->\n<item><g:id>H-1</g:id></item>\n`,
      );
      void firstRecordReceived.then(() => {
        res.end("<item><g:id>H-2</g:id></item>\n</channel></rss>\n");
        bodyEnded = true;
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;

    const feed = await openFeed(`http://127.0.0.1:${port}/feed.xml`);
    expect([feed.format, feed.recordTag]).toEqual(["xml", "item"]);
    const ids: unknown[] = [];
    const endedWhenFirstSeen: boolean[] = [];
    for await (const batch of feed.records) {
      for (const r of batch) {
        ids.push(r.fields["g:id"]);
        if (ids.length === 1) {
          endedWhenFirstSeen.push(bodyEnded);
          firstSeen();
        }
      }
    }
    expect(ids).toEqual(["H-1", "H-2"]);
    expect(endedWhenFirstSeen).toEqual([false]);
  });
});
