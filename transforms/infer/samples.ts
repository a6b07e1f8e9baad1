/**
 * The first records of a feed as source paths with their sample values, and what those values look
 * like for each product field (URL-shaped, image-URL-shaped, price-shaped with or without a
 * currency, ISO 4217, GTIN with a valid check digit, unique per record, long text, ...).
 *
 * XML records come as fast-xml-parser-shaped objects (`@attr`, `#text`, repeated tags as lists):
 * children become `brand/name`, attributes `image@type` / `@id`, and repeated elements told apart
 * by an attribute become a choice such as `images/image[@type=main]` or `attrs/a[@name=EAN]`.
 */
import { checkGtin, isCurrencyCode, looksLikeHtml, normalizeAvailability } from "../../schemas/normalize.js";
import type { FieldValue, Fields } from "../../src/core/record.js";
import { listItems, parseJsonCell, parseMoney } from "../cells.js";
import type { ProductField } from "../mapping.js";

/** One source path seen in the sample, with its values (one per record that has it, non-blank). */
export interface SourceColumn {
  path: string;
  values: string[];
  /** Records of the sample where the path is present. */
  present: number;
}

const MAX_DEPTH = 5;
const MAX_CHOICES = 6;

function scalarText(v: FieldValue): string | undefined {
  if (v === null) return undefined;
  if (typeof v === "string") return v.trim() === "" ? undefined : v.trim();
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  return undefined;
}

function isObject(v: FieldValue): v is { [k: string]: FieldValue } {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Attribute that tells repeated elements apart (`@type`, `@name`), with its distinct values. */
function choiceAttr(items: FieldValue[]): { attr: string; values: string[] } | undefined {
  const objs = items.filter(isObject);
  if (objs.length < 2) return undefined;
  for (const attr of Object.keys(objs[0]!)) {
    if (!attr.startsWith("@")) continue;
    const values = objs.map((o) => scalarText(o[attr] ?? null));
    if (values.some((v) => v === undefined)) continue;
    const distinct = [...new Set(values as string[])];
    if (distinct.length > 1 && distinct.length <= MAX_CHOICES)
      return { attr: attr.slice(1), values: distinct };
  }
  return undefined;
}

function flatten(
  v: FieldValue,
  path: string,
  depth: number,
  out: Map<string, string>,
  skipAttr?: string,
): void {
  const s = scalarText(v);
  if (s !== undefined) {
    if (path !== "" && !out.has(path)) out.set(path, s);
    return;
  }
  if (depth > MAX_DEPTH || v === null) return;
  if (Array.isArray(v)) {
    const choice = choiceAttr(v);
    if (choice) {
      for (const val of choice.values) {
        const item = v.find((x) => isObject(x) && scalarText(x[`@${choice.attr}`] ?? null) === val);
        if (item !== undefined)
          flatten(item, `${path}[@${choice.attr}=${val}]`, depth + 1, out, `@${choice.attr}`);
      }
    }
    const first = v.find((x) => x !== null && x !== "");
    if (first !== undefined) flatten(first, path, depth + 1, out, choice ? `@${choice.attr}` : undefined);
    return;
  }
  if (isObject(v)) {
    const text = scalarText(v["#text"] ?? null);
    if (text !== undefined && path !== "" && !out.has(path)) out.set(path, text);
    for (const [k, child] of Object.entries(v)) {
      if (k === "#text" || k === skipAttr) continue;
      if (k.startsWith("@")) {
        const t = scalarText(child);
        if (t !== undefined) out.set(path === "" ? k : `${path}${k}`, t);
        continue;
      }
      flatten(child, path === "" ? k : `${path}/${k}`, depth + 1, out);
    }
  }
}

/** The sample records as source columns, in the order first seen. */
export function sampleColumns(records: readonly Fields[], keys?: readonly string[]): SourceColumn[] {
  const cols = new Map<string, SourceColumn>();
  for (const k of keys ?? []) cols.set(k, { path: k, values: [], present: 0 });
  for (const rec of records) {
    const flat = new Map<string, string>();
    for (const [k, v] of Object.entries(rec)) {
      const s = scalarText(v);
      if (s !== undefined) flat.set(k, s);
      else if (v !== null && typeof v === "object") flatten(v, k, 1, flat);
      else if (!cols.has(k)) cols.set(k, { path: k, values: [], present: 0 });
      if (k.startsWith("@") && s !== undefined) flat.set(k, s);
    }
    for (const k of Object.keys(rec)) {
      const c = cols.get(k);
      if (c && !flat.has(k)) c.present++;
    }
    for (const [path, value] of flat) {
      let c = cols.get(path);
      if (!c) {
        c = { path, values: [], present: 0 };
        cols.set(path, c);
      }
      c.present++;
      c.values.push(value);
    }
  }
  return [...cols.values()];
}

// ---------------------------------------------------------------------------------------------
// Value shapes

const URL_RE = /^https?:\/\/[^\s/]+/i;
const IMAGE_EXT = /\.(?:jpe?g|png|gif|webp|avif|bmp|svg|tiff?)(?:[?#].*)?$/i;
const IMAGE_PATH = /\/(?:images?|img|media|photos?|pictures?|cdn|thumbs?)\//i;

/** The first item of a list-shaped cell (JSON array, `|` list), or the cell. */
export function firstItem(v: string): string {
  return listItems(v)[0] ?? v;
}

/** A JSON array or object in a cell, or a `|` / URL list: `first` picks the value out of it. */
export function isListCell(v: string): boolean {
  return parseJsonCell(v) !== undefined || listItems(v).length > 1;
}

function isUrl(v: string): boolean {
  return URL_RE.test(firstItem(v)) && !/\s/.test(firstItem(v));
}

function isRelativePath(v: string): boolean {
  return /^\/[^\s/][^\s]*$/.test(firstItem(v));
}

function isImageUrl(v: string): boolean {
  const f = firstItem(v);
  return (URL_RE.test(f) || f.startsWith("/")) && (IMAGE_EXT.test(f) || IMAGE_PATH.test(f));
}

export function isMoney(v: string): boolean {
  return parseMoney(v) !== undefined && /\d/.test(v);
}

export function moneyCurrency(v: string): string | undefined {
  const c = parseMoney(v)?.currency;
  return c !== undefined && isCurrencyCode(c) ? c : undefined;
}

function isGtin(v: string): boolean {
  const c = checkGtin(v.trim()).code;
  return c === undefined || c === "GTIN_RESTRICTED" || c === "GTIN_COUPON";
}

function isGtinShaped(v: string): boolean {
  return /^\d{8}$|^\d{12,14}$/.test(v.replace(/[\s-]/g, ""));
}

function isText(v: string): boolean {
  return /\p{L}{2}/u.test(v) && !URL_RE.test(v);
}

function fraction(values: readonly string[], test: (v: string) => boolean): number {
  if (values.length === 0) return 0;
  let n = 0;
  for (const v of values) if (test(v)) n++;
  return n / values.length;
}

function avgLength(values: readonly string[]): number {
  if (values.length === 0) return 0;
  let n = 0;
  for (const v of values) n += v.length;
  return n / values.length;
}

/** How far the values look like the field, 0..1 (an empty sample says nothing: 0). */
export function valueScore(col: SourceColumn, field: ProductField): number {
  const vs = col.values;
  if (vs.length === 0) return 0;
  switch (field) {
    case "url":
      return (
        fraction(vs, (v) => !isImageUrl(v) && (isUrl(v) || isRelativePath(v))) || 0.1 * fraction(vs, isUrl)
      );
    case "image":
      return Math.max(fraction(vs, isImageUrl), 0.3 * fraction(vs, isUrl));
    case "price":
    case "old_price":
      return fraction(vs, isMoney);
    case "currency":
      return fraction(vs, (v) => isCurrencyCode(v.trim().toUpperCase()) && v.trim().length === 3);
    case "gtin":
      return Math.max(fraction(vs, isGtin), 0.4 * fraction(vs, isGtinShaped));
    case "sku": {
      const unique = new Set(vs).size / vs.length;
      const short = fraction(vs, (v) => v.length <= 64 && !URL_RE.test(v) && !/\s{2}/.test(v));
      return unique * short;
    }
    case "name":
      return fraction(vs, (v) => isText(v) && v.length <= 300 && !looksLikeHtml(v));
    case "description": {
      const text = fraction(vs, (v) => isText(v));
      const long = avgLength(vs) >= 60 || fraction(vs, looksLikeHtml) > 0.3;
      return long ? text : 0.5 * text;
    }
    case "category": {
      const path = fraction(
        vs,
        (v) => isText(v) && (/>|\||\s\/\s/.test(v) || Array.isArray(parseJsonCell(v))),
      );
      return path > 0.3 ? fraction(vs, isText) : 0.6 * fraction(vs, (v) => isText(v) && v.length <= 120);
    }
    case "brand":
      return 0.8 * fraction(vs, (v) => isText(v) && v.length <= 60);
    case "mpn":
      return 0.8 * fraction(vs, (v) => v.length <= 60 && !URL_RE.test(v) && /\w/.test(v));
    case "availability":
      return fraction(vs, (v) => normalizeAvailability(v) !== undefined);
  }
}

/**
 * Fields a value shape alone can suggest, without a name that says so (distinctive shapes only):
 * a column of product-page URLs, image URLs, valid GTINs, ISO codes, or long text.
 */
export const VALUE_ONLY_FIELDS: readonly ProductField[] = ["url", "image", "gtin", "currency", "description"];

export { isImageUrl, isRelativePath, isUrl };
