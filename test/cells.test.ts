/** Cell shapes (JSON in a cell, lists, category paths, prices with symbols) and nested XML paths. */
import { describe, expect, it } from "vitest";
import {
  categoryPath,
  checkTransform,
  compileMapping,
  compilePath,
  compileTransform,
  inferMapping,
  isValidPath,
  listItems,
  parseMapping,
  parseMoney,
} from "../transforms/index.js";

const apply = (spec: Parameters<typeof compileTransform>[0], v: string) =>
  compileTransform(spec)(v, {}, { splitCurrency: undefined });

describe("cell shapes", () => {
  it("lists: JSON arrays (of texts or objects), | lists, comma lists of URLs only", () => {
    expect(listItems('["http://a.jpg", "http://b.jpg"]')).toEqual(["http://a.jpg", "http://b.jpg"]);
    expect(listItems('[{"src": "http://a.jpg"}, {"src": "http://b.jpg"}]')).toEqual([
      "http://a.jpg",
      "http://b.jpg",
    ]);
    expect(listItems("http://a.jpg|http://b.jpg")).toEqual(["http://a.jpg", "http://b.jpg"]);
    expect(listItems("http://a.jpg, http://b.jpg")).toEqual(["http://a.jpg", "http://b.jpg"]);
    expect(listItems("Chair, oak")).toEqual(["Chair, oak"]);
    expect(listItems("[]")).toEqual([]);
  });

  it("category paths: >>, >, |, JSON arrays → A > B", () => {
    expect(categoryPath("Home >> Kitchen >>  Textiles")).toBe("Home > Kitchen > Textiles");
    expect(categoryPath("Home>Kitchen")).toBe("Home > Kitchen");
    expect(categoryPath("Domácnost | Kuchyně")).toBe("Domácnost > Kuchyně");
    expect(categoryPath('["Shoes", "Running"]')).toBe("Shoes > Running");
    expect(categoryPath("Shoes")).toBe("Shoes");
  });

  it("prices with symbols and codes, either decimal separator (a symbol is kept as the sign)", () => {
    expect(parseMoney("$269.99")).toEqual({ amount: 269.99, currency: "USD", sign: "$" });
    expect(parseMoney("269,99 €")).toEqual({ amount: 269.99, currency: "EUR", sign: "€" });
    expect(parseMoney("1.299,00 zł")).toEqual({ amount: 1299, currency: "PLN", sign: "zł" });
    expect(parseMoney("1,299.00")).toEqual({ amount: 1299, currency: undefined });
    expect(parseMoney("899 Kč")).toEqual({ amount: 899, currency: "CZK", sign: "Kč" });
    expect(parseMoney("EUR 12.50")).toStrictEqual({ amount: 12.5, currency: "EUR" });
    expect(parseMoney("12.50 usd")).toEqual({ amount: 12.5, currency: "USD" });
    expect(parseMoney("£1,000")).toEqual({ amount: 1000, currency: "GBP", sign: "£" });
    expect(parseMoney("abc")).toBeUndefined();
    expect(parseMoney("12,5,0")).toBeUndefined();
  });

  it("transforms first, last, json, category, price (and their checks)", () => {
    expect(apply("first", '["http://a.jpg","http://b.jpg"]')).toBe("http://a.jpg");
    expect(apply("last", "Home|Kitchen")).toBe("Kitchen");
    expect(apply({ first: ";" }, "a;b")).toBe("a");
    expect(apply({ json: "[1].url" }, '[{"url":"http://a"},{"url":"http://b"}]')).toBe("http://b");
    expect(apply({ json: "images[0]" }, '{"images":["http://x.jpg"]}')).toBe("http://x.jpg");
    expect(apply("json", "not json")).toBe("not json");
    expect(apply("category", "A >> B")).toBe("A > B");
    const state = { splitCurrency: undefined as string | undefined };
    expect(compileTransform("price")("269,99 €", {}, state)).toBe(269.99);
    expect(state.splitCurrency).toBe("EUR");
    expect(apply("price", "n/a")).toBe("n/a");
    expect(checkTransform({ first: 3 })).toMatchObject({ ok: false });
    expect(checkTransform({ json: "a..b" })).toMatchObject({ ok: false });
    expect(checkTransform({ category: true })).toMatchObject({ ok: true });
    expect(checkTransform({ price: "x" })).toMatchObject({ ok: false });
  });

  it("inference reads a JSON object in a cell (image as {url, alt}) through `first`", () => {
    const m = inferMapping([
      {
        sku: "J-1",
        name: "Cup",
        url: "https://s.example/p/j-1",
        image: '{"url": "https://s.example/j-1.jpg", "alt": "Cup"}',
      },
      {
        sku: "J-2",
        name: "Jug",
        url: "https://s.example/p/j-2",
        image: '{"url": "https://s.example/j-2.jpg", "alt": "Jug"}',
      },
    ]);
    const image = m.fields.find((f) => f.field === "image")!;
    expect(image).toMatchObject({ source: "image", transforms: ["first"] });
    const map = compileMapping(m.spec);
    expect(map({ image: '{"url": "https://s.example/j-1.jpg", "alt": "Cup"}' }).image).toBe(
      "https://s.example/j-1.jpg",
    );
  });

  it("a price transform in a mapping fills the currency when no currency field is mapped", () => {
    const map = compileMapping({ fields: { price: { from: "p", transforms: ["price"] } } });
    expect(map({ p: "$5.00" })).toEqual({ price: 5, currency: "USD" });
  });
});

describe("nested XML paths", () => {
  const rec = {
    "@id": "1001",
    brand: { name: "Amica", "@id": "7" },
    images: {
      image: [
        { "@type": "thumb", "#text": "http://x/t.jpg" },
        { "@type": "main", "#text": "http://x/m.jpg" },
      ],
    },
    imgs: { main: { "@url": "http://x/main.jpg" } },
    attrs: {
      a: [
        { "@name": "Producent", "#text": "Amica" },
        { "@name": "EAN", "#text": "5901234123457" },
      ],
    },
  };
  it("child paths with / or ., attributes, a choice by attribute", () => {
    expect(compilePath("@id")(rec)).toBe("1001");
    expect(compilePath("brand/name")(rec)).toBe("Amica");
    expect(compilePath("brand.name")(rec)).toBe("Amica");
    expect(compilePath("brand@id")(rec)).toBe("7");
    expect(compilePath("imgs/main@url")(rec)).toBe("http://x/main.jpg");
    expect(compilePath("images/image[@type=main]")(rec)).toEqual({
      "@type": "main",
      "#text": "http://x/m.jpg",
    });
    expect(compilePath('attrs/a[@name="EAN"]')(rec)).toEqual({ "@name": "EAN", "#text": "5901234123457" });
    expect(compilePath("images/image[@type=none]")(rec)).toBeUndefined();
    expect(compilePath("images/image[1]@type")(rec)).toBe("main");
  });

  it("mapping files accept them and read the element text", () => {
    const m = parseMapping(
      {
        fields: {
          sku: "@id",
          brand: "brand/name",
          image: "images/image[@type=main]",
          gtin: "attrs/a[@name=EAN]",
        },
      },
      "m.json",
    );
    expect(compileMapping(m.spec)(rec)).toEqual({
      sku: "1001",
      brand: "Amica",
      image: "http://x/m.jpg",
      gtin: "5901234123457",
    });
  });

  it("path syntax is checked", () => {
    for (const ok of [
      "a",
      "a.b",
      "a/b",
      "a[0].b",
      "image@type",
      "@id",
      "x/y[@t=m]",
      "Google Shopping / MPN",
      "g:price",
    ]) {
      expect(isValidPath(ok), ok).toBe(true);
    }
    for (const bad of ["", "a..b", "a/", "a[", "a[@t]", "[0]x", "a]"])
      expect(isValidPath(bad), bad).toBe(false);
  });
});
