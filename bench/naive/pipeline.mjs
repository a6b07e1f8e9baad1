#!/usr/bin/env node
// The naive pipeline a developer would write first, as a reference for the benchmark:
//   csv:    csv-parse (columns: true) → object-mode Transform per record with zod safeParse → csv-stringify
//   xml:    split <item> per record → fast-xml-parser per record in the same kind of Transform → csv-stringify
//   json:   stream-json's default StreamArray stream → same Transform → csv-stringify
//   ndjson: line split → JSON.parse per record in the Transform → csv-stringify
// Usage: node bench/naive/pipeline.mjs FILE FORMAT OUT
import { createReadStream, createWriteStream } from "node:fs";
import { Transform } from "node:stream";
import { pipeline } from "node:stream/promises";
import { parse } from "csv-parse";
import { stringify } from "csv-stringify";
import { XMLParser } from "fast-xml-parser";
import StreamArray from "stream-json/streamers/StreamArray.js";
import { COLUMNS, naiveProduct } from "./schema.mjs";

const [file, format, out] = process.argv.slice(2);
let valid = 0;
let invalid = 0;

const validate = (toProduct) =>
  new Transform({
    objectMode: true,
    transform(record, _enc, cb) {
      const r = naiveProduct.safeParse(toProduct(record));
      if (r.success) {
        valid++;
        cb(null, r.data);
      } else {
        invalid++;
        cb();
      }
    },
  });

function splitter(sep, wrap) {
  let carry = "";
  return new Transform({
    readableObjectMode: true,
    transform(chunk, _enc, cb) {
      const text = carry + chunk.toString("utf8");
      let start = 0;
      for (;;) {
        const i = text.indexOf(sep, start);
        if (i < 0) break;
        const piece = text.slice(start, i + (wrap ? sep.length : 0));
        start = i + sep.length;
        if (piece.trim()) this.push(piece);
      }
      carry = text.slice(start);
      cb();
    },
  });
}

const xml = new XMLParser({ parseTagValue: false });
const fromGoogle = (doc) => {
  const it = doc.item ?? {};
  const [amount, currency] = String(it["g:sale_price"] ?? it["g:price"] ?? "").split(" ");
  return {
    sku: it["g:id"],
    name: it.title,
    url: it.link,
    image: it["g:image_link"],
    price: amount,
    currency,
    description: it.description,
    category: it["g:product_type"],
    brand: it["g:brand"],
    gtin: it["g:gtin"],
    mpn: it["g:mpn"],
    availability: it["g:availability"],
    old_price: it["g:sale_price"] ? String(it["g:price"]).split(" ")[0] : undefined,
  };
};
const clean = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== "" && v !== undefined));

const sink = stringify({ header: true, columns: COLUMNS });
const stages = {
  csv: () => [parse({ columns: true }), validate(clean)],
  xml: () => [splitter("</item>", true), validate((s) => fromGoogle(xml.parse(s.slice(s.indexOf("<item")))))],
  json: () => [StreamArray.withParser(), validate((kv) => clean(kv.value))],
  ndjson: () => [splitter("\n", false), validate((line) => clean(JSON.parse(line)))],
}[format]();

await pipeline(createReadStream(file, { highWaterMark: 1 << 20 }), ...stages, sink, createWriteStream(out));
process.stdout.write(`${JSON.stringify({ records: valid + invalid, valid, invalid })}\n`);
