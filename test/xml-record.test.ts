import fc from "fast-check";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { parseXmlRecord } from "../src/formats/xml-record.js";

const fxp = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
  processEntities: true,
  htmlEntities: true, // decodes numeric character references (XML requires it; without this option fast-xml-parser keeps them)
});

/**
 * fast-xml-parser's view of a record: the children of the one root element. Two documented
 * differences are normalised away: it lists processing instructions as `?name` keys (we drop them),
 * and it does not trim CDATA text (we trim every value, CDATA included).
 */
function reference(xml: string): unknown {
  const doc = fxp.parse(xml) as Record<string, unknown>;
  const [name] = Object.keys(doc).filter((k) => !k.startsWith("?"));
  const v = normalise(doc[name!]);
  if (typeof v === "string") return v === "" ? {} : { "#text": v };
  return v;
}

function normalise(v: unknown): unknown {
  if (typeof v === "string") return v.trim();
  if (Array.isArray(v)) return v.map(normalise);
  if (v && typeof v === "object") {
    return Object.fromEntries(
      Object.entries(v)
        .filter(
          ([k, x]) => !k.startsWith("?") && !(k === "#text" && typeof x === "string" && x.trim() === ""),
        )
        .map(([k, x]) => [k, normalise(x)]),
    );
  }
  return v;
}

function ours(xml: string): unknown {
  const r = parseXmlRecord(xml);
  if (!r.ok) throw new Error(r.error);
  return r.fields;
}

const GOOGLE_ITEM = `<item>
  <g:id>SKU-1</g:id>
  <title>Caf&#233; &amp; Bar &lt;Pro&gt;</title>
  <description><![CDATA[<p>Great <b>mug</b></p> </item> inside CDATA]]></description>
  <!-- a comment with </item> -->
  <?pi something?>
  <link>https://shop.example.com/p/1?a=1&amp;b=2</link>
  <g:price>15.00 USD</g:price>
  <g:additional_image_link>https://img.example.com/1.jpg</g:additional_image_link>
  <g:additional_image_link>https://img.example.com/2.jpg</g:additional_image_link>
  <g:shipping><g:country>US</g:country><g:price>4.95 USD</g:price></g:shipping>
  <g:gtin>00012345600012</g:gtin>
  <link2 href="https://x.example/a" rel='alternate'/>
  <note lang="en">text with attr</note>
  <empty></empty>
  <empty2/>
</item>`;

describe("XML record parser", () => {
  it("matches fast-xml-parser on a Google Merchant item", () => {
    expect(ours(GOOGLE_ITEM)).toEqual(reference(GOOGLE_ITEM));
    const f = ours(GOOGLE_ITEM) as Record<string, unknown>;
    expect(f.title).toBe("Café & Bar <Pro>");
    expect(f.description).toBe("<p>Great <b>mug</b></p> </item> inside CDATA");
    expect(f["g:additional_image_link"]).toEqual([
      "https://img.example.com/1.jpg",
      "https://img.example.com/2.jpg",
    ]);
    expect(f["g:shipping"]).toEqual({ "g:country": "US", "g:price": "4.95 USD" });
    expect(f["g:gtin"]).toBe("00012345600012");
    expect(f.link2).toEqual({ "@href": "https://x.example/a", "@rel": "alternate" });
    expect(f.note).toEqual({ "@lang": "en", "#text": "text with attr" });
  });

  it("keeps the record element's own attributes", () => {
    expect(ours('<product id="7" type="simple"><name>A</name></product>')).toEqual({
      "@id": "7",
      "@type": "simple",
      name: "A",
    });
  });

  it.each([
    ["<item><title>a</titel></item>", "does not match"],
    ["<item><title>a</item>", "does not match"],
    ["<item><title>a</title>", "not closed"],
    ['<item><a href="x>b</a></item>', "unterminated"],
    ["<item><a href=x>b</a></item>", "unquoted"],
    ["<item><!-- open </item>", "comment"],
    ["<item><![CDATA[ open </item>", "CDATA"],
  ])("reports malformed markup: %s", (xml, message) => {
    const r = parseXmlRecord(xml);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toContain(message);
  });

  it("treats elements named like Object.prototype members as data", () => {
    const f = ours(
      "<item><toString>a</toString><constructor>b</constructor><constructor>c</constructor><__proto__>d</__proto__></item>",
    ) as Record<string, unknown>;
    expect(Object.hasOwn(f, "toString") && f.toString).toBe("a");
    expect(f.constructor).toEqual(["b", "c"]);
    expect(Object.getOwnPropertyDescriptor(f, "__proto__")?.value).toBe("d");
    expect(Object.getPrototypeOf(f)).toBe(Object.prototype);
  });

  it("reports duplicate attributes", () => {
    const r = parseXmlRecord('<item><a x="1" x="2">v</a></item>');
    expect(r.ok).toBe(false);
  });

  it("does not expand DTD entities", () => {
    expect(ours("<item><t>&lol9;</t></item>")).toEqual({ t: "&lol9;" });
  });

  it("agrees with fast-xml-parser on random well-formed records", () => {
    const name = fc.constantFrom("a", "b", "g:c", "d-e", "f_g");
    const text = fc.string({
      unit: fc.constantFrom("x", "y", " ", "é", "&amp;", "&lt;", "&#233;", "\n", "1", "0"),
      maxLength: 8,
    });
    const attrs = fc.dictionary(
      fc.constantFrom("id", "href", "x:y"),
      fc.string({ unit: fc.constantFrom("v", "w", "&amp;", " "), maxLength: 4 }),
      {
        maxKeys: 2,
      },
    );
    const leaf = fc
      .record({ name, text, attrs, cdata: fc.boolean() })
      .map(({ name: n, text: t, attrs: a, cdata }) => {
        const at = Object.entries(a)
          .map(([k, v]) => ` ${k}="${v}"`)
          .join("");
        const body = cdata ? `<![CDATA[${t.replace(/&[a-z#0-9]+;/g, "<>")}]]>` : t;
        return `<${n}${at}>${body}</${n}>`;
      });
    const group = fc.array(leaf, { minLength: 1, maxLength: 3 }).map((ls) => `<grp>${ls.join("")}</grp>`);
    fc.assert(
      fc.property(fc.array(fc.oneof(leaf, group), { minLength: 1, maxLength: 6 }), (children) => {
        const xml = `<item>${children.join("\n")}</item>`;
        expect(ours(xml)).toEqual(reference(xml));
      }),
      { numRuns: 300 },
    );
  });
});

describe("entity references", () => {
  /** The rule, as a regular expression: the five XML entities and numeric references; the rest kept. */
  const expected = (t: string) =>
    t.replace(
      /&(?:(lt|gt|amp|quot|apos)|#(\d{1,7})|#x([0-9a-fA-F]{1,6}));/g,
      (m, name: string | undefined, dec: string | undefined, hex: string | undefined) => {
        if (name)
          return ({ lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" } as Record<string, string>)[name]!;
        const code = dec !== undefined ? Number(dec) : Number.parseInt(hex!, 16);
        if (code > 0x10ffff || code === 0 || (code >= 0xd800 && code <= 0xdfff)) return m;
        return String.fromCodePoint(code);
      },
    );
  const valueOf = (t: string) => {
    const r = parseXmlRecord(`<item><v>${t}</v></item>`);
    if (!r.ok) throw new Error(r.error);
    return r.fields.v;
  };

  it("decodes the five entities and numeric references, keeps everything else as written", () => {
    for (const [raw, want] of [
      ["a &amp; b", "a & b"],
      ["&lt;&gt;&quot;&apos;", `<>"'`],
      ["&#65;&#x41;&#x1F600;", "AA😀"],
      ["&#0; &#xD800; &#x110000; &#12345678;", "&#0; &#xD800; &#x110000; &#12345678;"],
      ["&nbsp; &copy; &amp &#X41; &#x; &#;", "&nbsp; &copy; &amp &#X41; &#x; &#;"],
      ["&amp;amp; &&amp; &;", "&amp; && &;"],
    ] as const) {
      expect(valueOf(raw)).toBe(want);
    }
  });

  it("agrees with the rule on random text", () => {
    const unit = fc.constantFrom(
      "&",
      "#",
      "x",
      "X",
      ";",
      "1",
      "0",
      "4",
      "f",
      "lt",
      "gt",
      "amp",
      "quot",
      "apos",
      "a",
      " ",
      "é",
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 24 }), (t) => {
        expect(valueOf(t)).toBe(expected(t).trim());
      }),
      { numRuns: 2000 },
    );
  });
});
