import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { FeedpipeError } from "../src/core/errors.js";
import {
  splitXml,
  type XmlRecordText,
  XmlSplitter,
  type XmlSplitterOptions,
} from "../src/formats/xml-splitter.js";

const OPTS: XmlSplitterOptions = { recordTag: "item", source: "feed.xml", maxRecordBytes: 1 << 20 };

/** Push the document in the given pieces; returns the records and the error thrown by end(), if any. */
function split(
  pieces: string[],
  options: Partial<XmlSplitterOptions> = {},
): { records: XmlRecordText[]; error: unknown; splitter: XmlSplitter } {
  const splitter = new XmlSplitter({ ...OPTS, ...options });
  const records: XmlRecordText[] = [];
  let error: unknown;
  for (const p of pieces) records.push(...splitter.push(p));
  try {
    splitter.end();
  } catch (err) {
    error = err;
  }
  return { records, error, splitter };
}

/** Cut a string into pieces at the given (sorted, distinct) positions. */
function cut(doc: string, at: number[]): string[] {
  const out: string[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(doc.slice(prev, p));
    prev = p;
  }
  out.push(doc.slice(prev));
  return out;
}

/** Where `needle` (the n-th occurrence) starts: 1-based line and UTF-8 byte offset. */
function place(doc: string, idx: number): { line: number; offset: number } {
  const before = doc.slice(0, idx);
  return { line: before.split("\n").length, offset: Buffer.byteLength(before) };
}

function expectUnterminated(error: unknown, line: number): void {
  expect(error).toBeInstanceOf(FeedpipeError);
  expect((error as FeedpipeError).code).toBe("FEED_XML_UNTERMINATED");
  expect((error as FeedpipeError).context.line).toBe(line);
  expect((error as FeedpipeError).context.source).toBe("feed.xml");
}

const TRICKY = `<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE rss [
  <!ENTITY brand "Acme <item>">
  <!-- ]> <item> in a comment in the subset -->
  <!ATTLIST item note CDATA "x]>">
]>
<?xml-stylesheet href="a.xsl" note="</item>"?>
<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0" xmlns:c="urn:custom">
<channel>
<title>Shop — Ünïcode</title>
<!-- <item>not a record</item> -->
<item>
  <g:id>1</g:id>
  <description><![CDATA[ends? </item> no. <item> neither. ]]></description>
  <!-- </item> -->
  <?pi </item>?>
  <link rel="a>b" title='item>'>x</link>
</item>
<item><g:id>2</g:id></item><item note="a > b"/>
<g:item><g:id>4</g:id><item><g:id>4.1</g:id></item></g:item>
</channel>
</rss>
`;

const TRICKY_RECORDS = [
  `<item>
  <g:id>1</g:id>
  <description><![CDATA[ends? </item> no. <item> neither. ]]></description>
  <!-- </item> -->
  <?pi </item>?>
  <link rel="a>b" title='item>'>x</link>
</item>`,
  "<item><g:id>2</g:id></item>",
  '<item note="a > b"/>',
  "<g:item><g:id>4</g:id><item><g:id>4.1</g:id></item></g:item>",
];

describe("XmlSplitter", () => {
  it("cuts one string per record past CDATA, comments, PIs, DOCTYPE and quoted '>'", () => {
    const { records, error } = split([TRICKY]);
    expect(error).toBeUndefined();
    expect(records.map((r) => r.text)).toEqual(TRICKY_RECORDS);
    expect(records.map((r) => r.index)).toEqual([1, 2, 3, 4]);
    let from = 0;
    for (const r of records) {
      const idx = TRICKY.indexOf(r.text, from);
      expect({ line: r.line, offset: r.offset }).toEqual(place(TRICKY, idx));
      from = idx + r.text.length;
    }
    expect(records[0]!.line).toBe(12);
    expect(records[3]!.line).toBe(20);
  });

  it("gives the same records whatever the chunking (one character at a time)", () => {
    const whole = split([TRICKY]).records;
    const { records, error } = split([...TRICKY]);
    expect(error).toBeUndefined();
    expect(records).toEqual(whole);
  });

  it("captures namespace declarations seen before the first record", () => {
    const { splitter } = split([TRICKY]);
    expect(splitter.namespaces).toEqual({ g: "http://base.google.com/ns/1.0", c: "urn:custom" });
    const atom = split(['<feed xmlns="http://www.w3.org/2005/Atom"><entry><id>1</id></entry></feed>'], {
      recordTag: "entry",
    });
    expect(atom.splitter.namespaces).toEqual({ "": "http://www.w3.org/2005/Atom" });
  });

  it("matches the local name with any prefix, or a qualified name exactly", () => {
    const doc = "<r><item>a</item><g:item>b</g:item><x:items>c</x:items><gitem>d</gitem></r>";
    expect(split([doc]).records.map((r) => r.text)).toEqual(["<item>a</item>", "<g:item>b</g:item>"]);
    expect(split([doc], { recordTag: "g:item" }).records.map((r) => r.text)).toEqual(["<g:item>b</g:item>"]);
    const path = "<catalog><products><product id='1'/><product id='2'>x</product></products></catalog>";
    expect(split([path], { recordTag: "catalog/products/product" }).records.map((r) => r.text)).toEqual([
      "<product id='1'/>",
      "<product id='2'>x</product>",
    ]);
  });

  it("counts nested elements of the record's own name", () => {
    const doc = "<r><p><p><p/></p><q><p>x</p></q></p><p>2</p></r>";
    expect(split([doc], { recordTag: "p" }).records.map((r) => r.text)).toEqual([
      "<p><p><p/></p><q><p>x</p></q></p>",
      "<p>2</p>",
    ]);
  });

  it("counts lines across CRLF and byte offsets across multi-byte characters", () => {
    const doc = "<r>\r\n<title>€uro ✓ 😀</title>\r\n<item>1</item>\r\n\r\n<item>2</item></r>";
    const { records } = split(cut(doc, [5, 13, 22, 40]));
    expect(records.map((r) => [r.line, r.offset])).toEqual([
      [3, Buffer.byteLength(doc.slice(0, doc.indexOf("<item>1")))],
      [5, Buffer.byteLength(doc.slice(0, doc.indexOf("<item>2")))],
    ]);
  });

  it("reports an oversize record without keeping it, and goes on", () => {
    const big = `<item><d>${"x".repeat(5000)}</d></item>`;
    const doc = `<rss><channel><item>1</item>\n${big}\n<item>3</item></channel></rss>`;
    const pieces = cut(
      doc,
      Array.from({ length: 40 }, (_, i) => (i + 1) * 137),
    );
    const splitter = new XmlSplitter({ ...OPTS, maxRecordBytes: 1000 });
    const records: XmlRecordText[] = [];
    let maxBuffered = 0;
    for (const p of pieces) {
      records.push(...splitter.push(p));
      maxBuffered = Math.max(maxBuffered, splitter.buffered);
    }
    splitter.end();
    expect(records.map((r) => r.index)).toEqual([1, 2, 3]);
    expect(records[1]!.oversize).toBe(big.length);
    expect(records[1]!.text).toBe(big.slice(0, 200));
    expect(records[1]!.line).toBe(2);
    expect(records[2]).toEqual({ text: "<item>3</item>", index: 3, line: 3, offset: doc.indexOf("<item>3") });
    expect(maxBuffered).toBeLessThanOrEqual(1000 + 137);
  });

  it("reports a record that completes within one chunk but is over the cap", () => {
    const { records } = split(["<r><item>123456789</item><item>1</item></r>"], { maxRecordBytes: 15 });
    expect(records.map((r) => [r.oversize, r.text])).toEqual([
      [22, "<item>123456789</item>"],
      [undefined, "<item>1</item>"],
    ]);
  });

  it("keeps memory flat between records: consumed text is dropped", () => {
    const splitter = new XmlSplitter(OPTS);
    splitter.push("<rss><channel>");
    for (let i = 0; i < 200; i++) {
      splitter.push(
        `<item><g:id>${i}</g:id>${"<x>filler</x>".repeat(50)}</item>\n<!-- ${"c".repeat(300)} -->\n`,
      );
      expect(splitter.buffered).toBeLessThan(10);
    }
    splitter.push("<item>open");
    expect(splitter.buffered).toBe("<item>open".length);
    expect(splitter.count).toBe(200);
  });

  it("throws FEED_XML_UNTERMINATED after the complete records when the feed ends inside a record", async () => {
    const doc = "<rss>\n<channel>\n<item>1</item>\n<item>2</item>\n<item><title>thr";
    const got: XmlRecordText[] = [];
    let error: unknown;
    try {
      for await (const batch of splitXml(toAsync(cut(doc, [20, 35])), OPTS)) got.push(...batch);
    } catch (err) {
      error = err;
    }
    expect(got.map((r) => r.text)).toEqual(["<item>1</item>", "<item>2</item>"]);
    expectUnterminated(error, 5);
    expect((error as Error).message).toContain("2 complete records were read");
  });

  it("throws FEED_XML_UNTERMINATED when the feed stops between records before the root closes", () => {
    const { records, error } = split(["<rss>\n<channel>\n<item>1</item>\n<item>2</item>\n"]);
    expect(records).toHaveLength(2);
    expectUnterminated(error, 1);
    expect((error as Error).message).toContain("</rss>");
  });

  it("throws FEED_XML_UNTERMINATED when the feed ends inside a comment, CDATA or a tag", () => {
    expectUnterminated(split(["<r><item>1</item>\n<!-- cut"]).error, 2);
    expectUnterminated(split(["<r>\n<item><![CDATA[ cut"]).error, 2);
    expectUnterminated(split(["<r><item>1</item>\n<item a='1"]).error, 2);
    expectUnterminated(split(["<r><item>1</item>\n</r"]).error, 2);
  });

  it("accepts a document that is only records, or has no records at all", () => {
    expect(split(["<item>1</item>\n<item>2</item>\n"]).records).toHaveLength(2);
    const none = split(['<?xml version="1.0"?><rss><channel><title>x</title></channel></rss>']);
    expect(none.records).toEqual([]);
    expect(none.error).toBeUndefined();
  });

  it("does not let a broken quote swallow the records after it", () => {
    const doc = '<r><item><a href="x>1</a></item><item>2</item><item>3</item></r>';
    expect(split([doc]).records.map((r) => r.text)).toEqual([
      '<item><a href="x>1</a></item>',
      "<item>2</item>",
      "<item>3</item>",
    ]);
  });

  it("rejects invalid options before reading", () => {
    expect(() => new XmlSplitter({ ...OPTS, recordTag: "" })).toThrow(/recordTag/);
    expect(() => new XmlSplitter({ ...OPTS, recordTag: "<item>" })).toThrow(/recordTag/);
    expect(() => new XmlSplitter({ ...OPTS, maxRecordBytes: 0 })).toThrow(/maxRecordBytes/);
  });
});

async function* toAsync(pieces: string[]): AsyncIterable<string> {
  for (const p of pieces) yield p;
}

describe("XmlSplitter property: the chunking never changes the records", () => {
  // Content that tries hard to end or start a record in the wrong place.
  const tricky = fc.constantFrom(
    "</item>",
    "<item>",
    "<item/>",
    ">",
    "]]",
    "--",
    "?",
    "'",
    '"',
    "é",
    "😀",
    "\n",
    "x ",
  );
  const textIn = (strip: RegExp) =>
    fc.array(tricky, { maxLength: 6 }).map((parts) => parts.join("").replace(strip, ""));
  const leaf = fc.oneof(
    textIn(/[<>&]/g).map((t) => `<t>${t}</t>`),
    textIn(/>/g).map((t) => `<d><![CDATA[${t}]]></d>`),
    textIn(/-/g).map((t) => `<!--${t}-->`),
    textIn(/>/g).map((t) => `<?pi ${t}?>`),
    textIn(/[<&"]/g).map((t) => `<a v="${t}"/>`),
    textIn(/[<&']/g).map((t) => `<a v='${t}'>z</a>`),
  );
  const record = fc
    .tuple(fc.array(leaf, { maxLength: 5 }), fc.boolean(), fc.constantFrom("item", "g:item"))
    .map(([children, nested, name]) => {
      const inner = nested ? `<item>${children.slice(0, 2).join("")}</item>` : "";
      return children.length === 0 && !nested
        ? `<${name}/>`
        : `<${name}>${children.join("\n")}${inner}</${name}>`;
    });
  const between = fc.constantFrom(
    "\n",
    "\r\n",
    "  ",
    "<!-- </item> -->",
    "<?x </item>?>",
    "<junk a='/item>'/>",
  );

  it("yields exactly the generated records, with their lines and offsets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(between, record), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 12 }),
        (parts, rawCuts) => {
          let doc = '<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0"><channel>';
          const expected: { text: string; line: number; offset: number }[] = [];
          for (const [sep, rec] of parts) {
            doc += sep;
            expected.push({ text: rec, ...place(doc, doc.length) });
            doc += rec;
          }
          doc += "\n</channel></rss>\n";
          const at = [...new Set(rawCuts.map((n) => n % (doc.length + 1)))].sort((a, b) => a - b);
          const { records, error } = split(cut(doc, at));
          expect(error).toBeUndefined();
          expect(records.map(({ text, line, offset }) => ({ text, line, offset }))).toEqual(expected);
          expect(records.map((r) => r.index)).toEqual(expected.map((_, i) => i + 1));
        },
      ),
      { numRuns: 400, seed: 20260101 },
    );
  });
});
