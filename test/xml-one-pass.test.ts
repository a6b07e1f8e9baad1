/**
 * The splitter's one-pass mode (`parse: true`: records parsed where they lie in the buffer) must
 * give exactly what cutting each record out and parsing it on its own gives: same records, same
 * fields, same errors, same lines and offsets, whatever the chunking and however broken the
 * markup. The cut-and-parse path is itself checked against fast-xml-parser (xml-record.test.ts).
 */
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseXmlRecord } from "../src/formats/xml-record.js";
import { XmlSplitter, type XmlSplitterOptions } from "../src/formats/xml-splitter.js";

const OPTS: XmlSplitterOptions = { recordTag: "item", source: "feed.xml", maxRecordBytes: 1 << 20 };

interface Seen {
  index: number;
  line: number;
  offset: number;
  oversize?: number | undefined;
  result: unknown;
}

function read(pieces: string[], parse: boolean, options: Partial<XmlSplitterOptions> = {}) {
  const splitter = new XmlSplitter({ ...OPTS, ...options, parse });
  const records: Seen[] = [];
  let inPlace = 0;
  let error: string | undefined;
  try {
    for (const p of pieces) {
      for (const r of splitter.push(p)) {
        if (r.fields !== undefined) inPlace++;
        const result = r.oversize !== undefined ? "oversize" : (r.fields ?? parseXmlRecord(r.text));
        records.push({
          index: r.index,
          line: r.line,
          offset: r.offset,
          oversize: r.oversize,
          result: r.fields !== undefined ? { ok: true, fields: r.fields } : result,
        });
      }
    }
    splitter.end();
  } catch (err) {
    error = (err as Error).message;
  }
  return { records, error, inPlace, namespaces: splitter.namespaces };
}

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

function expectSame(pieces: string[], options: Partial<XmlSplitterOptions> = {}) {
  const onePass = read(pieces, true, options);
  const twoPass = read(pieces, false, options);
  expect(onePass.records).toEqual(twoPass.records);
  expect(onePass.error).toEqual(twoPass.error);
  expect(onePass.namespaces).toEqual(twoPass.namespaces);
  return onePass;
}

describe("XML one-pass parsing", () => {
  it("parses whole records in place and agrees with cut-and-parse on every XML fixture", () => {
    const root = join(import.meta.dirname, "fixtures", "xml");
    let files = 0;
    for (const dir of readdirSync(root)) {
      for (const name of readdirSync(join(root, dir))) {
        if (!name.endsWith(".xml")) continue;
        files++;
        const doc = readFileSync(join(root, dir, name), "latin1");
        const tag = /<(item|entry|product)[\s>/]/.exec(doc)?.[1] ?? "item";
        const whole = expectSame([doc], { recordTag: tag });
        expect(whole.records.length).toBeGreaterThan(0);
        // One character at a time: nothing completes in place, everything is cut and parsed.
        expectSame([...doc], { recordTag: tag });
      }
    }
    expect(files).toBeGreaterThanOrEqual(6);
  });

  it("parses in place when the record is whole in the buffer", () => {
    const doc = `<rss><channel>\n<item><g:id>1</g:id><title>a &amp; b</title></item>\n<item><g:id>2</g:id></item>\n</channel></rss>`;
    const r = expectSame([doc]);
    expect(r.inPlace).toBe(2);
    expect(r.records[0]!.result).toEqual({ ok: true, fields: { "g:id": "1", title: "a & b" } });
  });

  it("gives up in place, and cut-and-parse decides, for markup the two could see differently", () => {
    for (const rec of [
      '<item><a v="</item>">x</a></item>', // '<' in an attribute value (not well-formed)
      "<item><t>x</ t></item>", // odd end tag
      "<item><t>x</t ></item>",
      "<item>a < b</item>", // stray '<'
      "<item><t>x</u></item>", // mismatch
      "<item><!DOCTYPE x></item>",
      "<item><item>nested</item></item>",
      "<item><g:item>nested</g:item><x:item/></item>",
    ]) {
      expectSame([`<r>${rec}<item><ok>1</ok></item></r>`]);
    }
  });

  it("reports oversize records the same way", () => {
    expectSame(["<r><item>123456789</item><item>1</item></r>"], { maxRecordBytes: 15 });
    expectSame(["<r><item>12345", "6789</item><item>1</item></r>"], { maxRecordBytes: 15 });
  });

  it("property: any chunking of well-formed and broken records gives the same records either way", () => {
    const text = fc
      .array(fc.constantFrom("x", " ", "\n", "é", "😀", "&amp;", "&#233;", "&lol;", ">", "]]", "'", '"'), {
        maxLength: 6,
      })
      .map((p) => p.join(""));
    const leaf = fc.oneof(
      text.map((t) => `<t>${t}</t>`),
      text.map((t) => `<g:t>${t.replace(/>/g, "")}</g:t>`),
      text.map((t) => `<d><![CDATA[${t.replace(/]]/g, "")}]]></d>`),
      text.map((t) => `<d>  <![CDATA[${t.replace(/]]/g, "")}]]> ${t.replace(/]]/g, "")} </d>`),
      text.map((t) => `<a v="${t.replace(/"/g, "")}"/>`),
      text.map((t) => `<a v='${t.replace(/'/g, "")}' w="1">${t}</a>`),
      text.map((t) => `<grp><t>${t}</t><t>${t}</t></grp>`),
      text.map((t) => `<!--${t.replace(/-/g, "")}-->`),
      fc.constantFrom(
        "<e/>",
        "<e></e>",
        "<t>x</u>",
        "<t>open",
        "a < b",
        '<a v="x<y"/>',
        "</t >",
        "<t>x</t >",
        "<?pi x?>",
        "<1bad/>",
        '<a x="1" x="2"/>',
        "<a x=1/>",
        "<toString>p</toString>",
      ),
    );
    const record = fc
      .tuple(fc.array(leaf, { maxLength: 6 }), fc.constantFrom("item", "g:item"), fc.boolean())
      .map(([children, name, attrs]) =>
        children.length === 0
          ? `<${name}/>`
          : `<${name}${attrs ? ' id="7"' : ""}>${children.join("\n")}</${name}>`,
      );
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.constantFrom("\n", "\r\n", "", "<!-- c -->"), record), { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        fc.constantFrom(1 << 20, 40),
        (parts, rawCuts, max) => {
          let doc = '<?xml version="1.0"?>\n<rss xmlns:g="http://base.google.com/ns/1.0"><channel>';
          for (const [sep, rec] of parts) doc += sep + rec;
          doc += "\n</channel></rss>\n";
          const at = [...new Set(rawCuts.map((n) => n % (doc.length + 1)))].sort((a, b) => a - b);
          expectSame(cut(doc, at), { maxRecordBytes: max });
        },
      ),
      { numRuns: 500, seed: 20261201 },
    );
  });
});
