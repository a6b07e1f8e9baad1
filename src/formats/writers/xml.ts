/**
 * Google-style RSS 2.0 product feed writer (the format Google Merchant Center and most affiliate
 * networks read): one `<item>` per row with `g:`-prefixed elements.
 *
 * Field mapping (our product fields → Google attributes):
 *   sku→g:id, name→title and g:title, description→g:description, url→g:link, image→g:image_link,
 *   price+currency→g:price ("15.00 USD"), brand→g:brand, gtin→g:gtin, mpn→g:mpn,
 *   availability→g:availability, category→g:product_type.
 *   old_price: when old_price > price, g:price is the old price and g:sale_price the price (Google's
 *   convention for a sale). An old_price that is not above the price is not a sale and is not written.
 * Any other column becomes an element in the g namespace with a safe XML name (characters that
 * cannot be in a name become `_`; a name that cannot start a name gets a leading `_`), e.g.
 * tracking_url → g:tracking_url. A name that would clash with a mapped element gets a `_` suffix.
 *
 * Empty values (undefined, null, "") write no element. Text is XML-escaped (& < > ") and
 * characters XML 1.0 forbids (C0 controls other than tab, LF, CR; U+FFFE/U+FFFF; unpaired
 * surrogates) are removed. CR is written as is, not as `&#13;`: many feed readers do not decode
 * character references, and parsers turning CRLF into LF (XML's line-end normalisation, which
 * fast-xml-parser also does) change nothing that matters in product text.
 * When `columns` is empty, each row's own keys are used.
 */
import type { Row, Writer, WriterOptions } from "../types.js";
import { plainNumber } from "./csv.js";
import { rowWriter } from "./rows.js";

const ILLEGAL_XML =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;
const NEEDS_ESCAPE = /[&<>"\u0000-\u0008\u000B\u000C\u000E-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/;
const SPECIAL = /[&<>"]/g;
const ENTITY: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" };

/** Escape text for an XML element or attribute value, dropping characters XML 1.0 forbids. */
export function escapeXml(text: string): string {
  if (!NEEDS_ESCAPE.test(text)) return text;
  return text.replace(ILLEGAL_XML, "").replace(SPECIAL, (c) => ENTITY[c]!);
}

/** Turn a column name into a safe XML local name. */
export function xmlName(name: string): string {
  let s = name.replace(/[^A-Za-z0-9_.-]/g, "_");
  if (s === "" || !/^[A-Za-z_]/.test(s)) s = "_" + s;
  return s;
}

/** Mapped product fields: column → element names (in write order). */
const MAPPED: Record<string, string[]> = {
  sku: ["g:id"],
  name: ["title", "g:title"],
  description: ["g:description"],
  url: ["g:link"],
  image: ["g:image_link"],
  brand: ["g:brand"],
  gtin: ["g:gtin"],
  mpn: ["g:mpn"],
  availability: ["g:availability"],
  category: ["g:product_type"],
};
/** Columns consumed by the price logic. */
const PRICE_COLUMNS = new Set(["price", "currency", "old_price"]);
const RESERVED = new Set([
  "id",
  "title",
  "description",
  "link",
  "image_link",
  "price",
  "sale_price",
  "brand",
]);
for (const names of Object.values(MAPPED))
  for (const n of names) if (n.startsWith("g:")) RESERVED.add(n.slice(2));

type Value = Row[string];

function text(v: Value): string {
  if (typeof v === "string") return v;
  if (typeof v === "number") return plainNumber(v);
  if (v === null || v === undefined) return "";
  return String(v);
}

function toNumber(v: Value): number | undefined {
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "string" && v.trim() !== "") {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

function money(v: Value, currency: string): string {
  const n = toNumber(v);
  const amount = n === undefined ? text(v) : n.toFixed(2);
  return currency ? `${amount} ${currency}` : amount;
}

function element(name: string, v: Value): string {
  const t = text(v);
  return t === "" ? "" : `    <${name}>${escapeXml(t)}</${name}>\n`;
}

type Plan = { column: string; names: string[] } | { column: "price"; names: "price" };

function planFor(columns: readonly string[]): Plan[] {
  const plan: Plan[] = [];
  const used = new Set(RESERVED);
  let priceDone = false;
  for (const column of columns) {
    const mapped = MAPPED[column];
    if (mapped) {
      plan.push({ column, names: mapped });
    } else if (PRICE_COLUMNS.has(column)) {
      if (!priceDone) plan.push({ column: "price", names: "price" });
      priceDone = true;
    } else {
      let local = xmlName(column);
      while (used.has(local)) local += "_";
      used.add(local);
      plan.push({ column, names: [`g:${local}`] });
    }
  }
  return plan;
}

function priceElements(row: Row): string {
  const currency = text(row.currency).trim();
  const price = row.price;
  if (text(price) === "") return "";
  const p = toNumber(price);
  const old = toNumber(row.old_price);
  if (p !== undefined && old !== undefined && old > p) {
    return (
      `    <g:price>${escapeXml(money(old, currency))}</g:price>\n` +
      `    <g:sale_price>${escapeXml(money(p, currency))}</g:sale_price>\n`
    );
  }
  return `    <g:price>${escapeXml(money(price, currency))}</g:price>\n`;
}

function encodeRow(plan: Plan[], row: Row): string {
  let out = "  <item>\n";
  for (const step of plan) {
    if (step.names === "price") {
      out += priceElements(row);
      continue;
    }
    const v = row[step.column];
    for (const name of step.names) out += element(name, v);
  }
  return out + "  </item>\n";
}

export function createXmlWriter(options: WriterOptions): Writer {
  const fixedPlan = options.columns.length > 0 ? planFor(options.columns) : undefined;
  const title = options.title ?? "Product feed";
  const one = (row: Row): string => encodeRow(fixedPlan ?? planFor(Object.keys(row)), row);
  const header =
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<rss version="2.0" xmlns:g="http://base.google.com/ns/1.0">\n' +
    "<channel>\n" +
    `  <title>${escapeXml(title)}</title>\n` +
    `  <description>${escapeXml(title)}</description>\n`;
  return rowWriter(header, () => "</channel>\n</rss>\n", one);
}
