#!/usr/bin/env node
/**
 * Seeded generator of realistic catalogs for benchmarks: 13 documented product fields,
 * ~200-char descriptions with commas and quotes, some non-ASCII, ~1% bad GTINs, ~0.5% duplicate SKUs.
 *
 *   node bench/generate.mjs --products 1000000 --format csv --out bench/data/catalog.csv [--seed 42]
 *   formats: csv, xml (Google RSS 2.0), json (array), ndjson
 *
 * Writes through a stream with backpressure, so any size is generated in flat memory.
 */
import { createWriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname } from "node:path";
import { once } from "node:events";

export function seededRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ADJ = [
  "Classic",
  "Ultra",
  "Eco",
  "Pro",
  "Deluxe",
  "Compact",
  "Heritage",
  "Nordic",
  "Urban",
  "Café",
  "Señor",
  "Über",
];
const NOUN = [
  "Jacket",
  "Kettle",
  "Backpack",
  "Lamp",
  "Sneaker",
  "Headphones",
  "Blender",
  "Tent",
  "Watch",
  "Mug",
  "Desk",
  "Chair",
];
const BRANDS = ["Northridge", "Acme", "Lumen & Co", "Blåbær", "Zeta", "Kōhī Works", "Pinecrest", "Orbit"];
const CATS = [
  "Apparel > Outerwear",
  "Home > Kitchen",
  "Electronics > Audio",
  "Sports > Camping",
  "Home > Furniture",
];
const WORDS =
  'durable lightweight, water-resistant "premium" recycled everyday comfort design travel warm quiet fast efficient crafted naïve soft stainless'.split(
    " ",
  );
const AVAIL = ["in_stock", "in stock", "out_of_stock", "preorder", "backorder"];
const CURRENCIES = ["USD", "EUR", "GBP"];

function gtin13(rand) {
  let digits = "4";
  for (let i = 0; i < 11; i++) digits += Math.floor(rand() * 10);
  let sum = 0;
  for (let i = 0; i < 12; i++) sum += Number(digits[i]) * (i % 2 === 0 ? 1 : 3);
  return digits + ((10 - (sum % 10)) % 10);
}

export function* products(count, seed = 42) {
  const rand = seededRandom(seed);
  const pick = (arr) => arr[Math.floor(rand() * arr.length)];
  for (let i = 0; i < count; i++) {
    const dup = i > 10 && rand() < 0.005;
    const n = dup ? Math.floor(rand() * i) : i;
    const sku = `SKU-${String(n).padStart(8, "0")}`;
    const name = `${pick(ADJ)} ${pick(NOUN)} ${n % 997}`;
    let desc = "";
    while (desc.length < 190) desc += (desc ? " " : "") + pick(WORDS) + (rand() < 0.15 ? "," : "");
    const price = Math.round((5 + rand() * 495) * 100) / 100;
    const hasOld = rand() < 0.3;
    let gtin = gtin13(rand);
    if (rand() < 0.01) gtin = gtin.slice(0, 12) + ((Number(gtin[12]) + 1) % 10); // bad check digit
    yield {
      sku,
      name,
      url: `https://shop.example.com/p/${sku.toLowerCase()}`,
      image: `https://cdn.example.com/img/${sku.toLowerCase()}.jpg`,
      price: price.toFixed(2),
      currency: pick(CURRENCIES),
      description: desc,
      category: pick(CATS),
      old_price: hasOld ? (price * 1.25).toFixed(2) : "",
      brand: pick(BRANDS),
      gtin,
      mpn: `MPN${Math.floor(rand() * 1e6)}`,
      availability: pick(AVAIL),
    };
  }
}

export const FIELDS = [
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

const csvCell = (v) => (/[",\n\r]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v);
const xmlEsc = (v) => v.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

const formats = {
  csv: {
    head: () => FIELDS.join(",") + "\n",
    row: (p) => FIELDS.map((f) => csvCell(p[f])).join(",") + "\n",
    tail: () => "",
  },
  xml: {
    head: () =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n<channel>\n<title>Bench</title>\n',
    row: (p) =>
      `<item>\n<g:id>${p.sku}</g:id>\n<title>${xmlEsc(p.name)}</title>\n<description><![CDATA[${p.description}]]></description>\n` +
      `<link>${p.url}</link>\n<g:image_link>${p.image}</g:image_link>\n` +
      (p.old_price
        ? `<g:price>${p.old_price} ${p.currency}</g:price>\n<g:sale_price>${p.price} ${p.currency}</g:sale_price>\n`
        : `<g:price>${p.price} ${p.currency}</g:price>\n`) +
      `<g:brand>${xmlEsc(p.brand)}</g:brand>\n<g:gtin>${p.gtin}</g:gtin>\n<g:mpn>${p.mpn}</g:mpn>\n` +
      `<g:availability>${p.availability}</g:availability>\n<g:product_type>${xmlEsc(p.category)}</g:product_type>\n</item>\n`,
    tail: () => "</channel>\n</rss>\n",
  },
  json: {
    head: () => "[\n",
    row: (p, i) => (i > 0 ? ",\n" : "") + JSON.stringify(p),
    tail: () => "\n]\n",
  },
  ndjson: {
    head: () => "",
    row: (p) => JSON.stringify(p) + "\n",
    tail: () => "",
  },
};

export async function generate({ products: count, format, out, seed = 42 }) {
  const f = formats[format];
  if (!f) throw new Error(`unknown format ${format} (csv, xml, json, ndjson)`);
  await mkdir(dirname(out), { recursive: true });
  const ws = createWriteStream(out);
  let buf = f.head();
  let i = 0;
  for (const p of products(count, seed)) {
    buf += f.row(p, i++);
    if (buf.length > 1 << 20) {
      if (!ws.write(buf)) await once(ws, "drain");
      buf = "";
    }
  }
  buf += f.tail();
  ws.end(buf);
  await once(ws, "finish");
  return out;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = {};
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) if (argv[i].startsWith("--")) args[argv[i].slice(2)] = argv[i + 1];
  const count = Number(args.products ?? 100000);
  const format = args.format ?? "csv";
  const out = args.out ?? `bench/data/catalog-${count}.${format}`;
  await generate({ products: count, format, out, seed: Number(args.seed ?? 42) });
  process.stdout.write(`${out}\n`);
}
