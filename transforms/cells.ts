/**
 * Cell shapes that real exports put in one column: a JSON array or object (`["http://a.jpg",
 * "http://b.jpg"]`), `|` or `,` separated lists, `>>` / `>` category paths, and prices written with
 * a currency symbol or code (`$269.99`, `269,99 €`, `1.299,00 zł`, `EUR 12.50`).
 *
 * These helpers back the `first`, `last`, `json`, `category` and `price` transforms and the value
 * checks of the inferred mapping, so both read a cell the same way.
 */
import type { FieldValue } from "../src/core/record.js";
import { compilePath, toValue } from "./value.js";

/** Parse a cell that holds JSON (an array or object); undefined when it does not. */
export function parseJsonCell(text: string): FieldValue | undefined {
  const t = text.trim();
  const open = t.charCodeAt(0);
  if (open !== 0x5b /* [ */ && open !== 0x7b /* { */) return undefined;
  try {
    return JSON.parse(t) as FieldValue;
  } catch {
    return undefined;
  }
}

const URL_KEYS = ["url", "src", "href", "link", "image", "name", "title", "value"];

/** One list item as text: an object by its url/src/link/name key, else its first scalar. */
function itemText(v: FieldValue): string | undefined {
  if (v !== null && typeof v === "object" && !Array.isArray(v)) {
    for (const k of URL_KEYS) {
      const t = toValue(v[k]);
      if (t !== undefined) return String(t).trim() || undefined;
    }
  }
  const t = toValue(v);
  return t === undefined ? undefined : String(t).trim() || undefined;
}

const LOOKS_URL = /^(?:https?:)?\/\//i;

/**
 * A cell as a list: a JSON array, or text split on `|` (or `;`), or on `,` when every part is a URL
 * (a name such as "Chair, oak" is not split). A single value is a one-item list.
 */
export function listItems(text: string, separator?: string): string[] {
  const json = parseJsonCell(text);
  if (Array.isArray(json)) return json.map(itemText).filter((x): x is string => x !== undefined);
  if (json !== undefined) {
    const one = itemText(json);
    return one === undefined ? [] : [one];
  }
  const split = (sep: string) =>
    text
      .split(sep)
      .map((s) => s.trim())
      .filter((s) => s !== "");
  if (separator !== undefined) return split(separator);
  if (text.includes("|")) return split("|");
  if (text.includes(";") && split(";").every((p) => LOOKS_URL.test(p))) return split(";");
  if (text.includes(",")) {
    const parts = split(",");
    if (parts.length > 1 && parts.every((p) => LOOKS_URL.test(p))) return parts;
  }
  const t = text.trim();
  return t === "" ? [] : [t];
}

/** A value out of a JSON cell, by path (`[0].url`, `images[1]`); the first scalar when no path. */
export function jsonValue(text: string, path: string | undefined): string | number | undefined {
  const json = parseJsonCell(text);
  if (json === undefined) return undefined;
  if (path === undefined || path === "") {
    if (Array.isArray(json)) return itemText(json[0] ?? null);
    return itemText(json);
  }
  const p = path.startsWith("[") ? `$${path}` : `$.${path}`;
  const v = compilePath(p)({ $: json });
  if (v !== null && typeof v === "object" && !Array.isArray(v)) return itemText(v);
  return toValue(v);
}

/**
 * A category path written with `>>`, `>`, `|`, `/` or as a JSON array, as `A > B > C`.
 * A path with none of these is returned as it is (trimmed).
 */
export function categoryPath(text: string): string | undefined {
  const json = parseJsonCell(text);
  let parts: string[];
  if (Array.isArray(json)) parts = json.map(itemText).filter((x): x is string => x !== undefined);
  else if (/>>|»/.test(text)) parts = text.split(/>>|»/);
  else if (text.includes(">")) parts = text.split(">");
  else if (text.includes("|")) parts = text.split("|");
  else if (/\s\/\s/.test(text)) parts = text.split(/\s\/\s/);
  else parts = [text];
  const clean = parts.map((p) => p.trim()).filter((p) => p !== "");
  return clean.length === 0 ? undefined : clean.join(" > ");
}

/** Currency symbols and local abbreviations to ISO 4217 codes (`$` is read as USD). */
const SYMBOLS: readonly (readonly [string, string])[] = [
  ["US$", "USD"],
  ["CA$", "CAD"],
  ["C$", "CAD"],
  ["AU$", "AUD"],
  ["A$", "AUD"],
  ["NZ$", "NZD"],
  ["R$", "BRL"],
  ["$", "USD"],
  ["€", "EUR"],
  ["£", "GBP"],
  ["¥", "JPY"],
  ["₹", "INR"],
  ["₽", "RUB"],
  ["₺", "TRY"],
  ["zł", "PLN"],
  ["Kč", "CZK"],
  ["Ft", "HUF"],
  ["lei", "RON"],
  ["CHF", "CHF"],
];

export interface Money {
  amount: number;
  /** ISO 4217 code from a code or a symbol in the text, upper-cased (not checked here). */
  currency: string | undefined;
  /**
   * The symbol the currency was read from (`$`, `zł`), when it was one: `$` is read as USD, but a
   * record in CAD written with `$` does not contradict itself (schemas/currencies.ts signCurrencies).
   */
  sign?: string | undefined;
}

const CODE_RE = /^([A-Za-z]{3})\s*(.*)$|^(.*?)\s*([A-Za-z]{3})$/;

/**
 * Read a price written the way shops write them: `269.99`, `$269.99`, `269,99 €`, `1.299,00 zł`,
 * `1,299.00`, `EUR 12.50`, `12.50 EUR`. The decimal separator is the last `.` or `,` when one or
 * two digits follow it; a single separator followed by three digits groups thousands. Undefined
 * when the text is not a price.
 */
export function parseMoney(text: string): Money | undefined {
  let t = text.trim().replace(/[\u00a0\u202f]/g, " ");
  if (t === "" || t.length > 64) return undefined;
  let currency: string | undefined;
  let sign: string | undefined;
  for (const [sym, code] of SYMBOLS) {
    const i = t.indexOf(sym);
    if (i >= 0 && (i === 0 || i + sym.length === t.length || /^-/.test(t))) {
      currency = code;
      sign = sym;
      t = (t.slice(0, i) + t.slice(i + sym.length)).trim();
      break;
    }
  }
  if (currency === undefined) {
    const m = CODE_RE.exec(t);
    if (m && /\d/.test(m[2] ?? m[3] ?? "")) {
      currency = (m[1] ?? m[4])!.toUpperCase();
      t = (m[2] ?? m[3]!).trim();
    }
  }
  let negative = false;
  if (t.startsWith("-")) {
    negative = true;
    t = t.slice(1).trim();
  }
  if (!/^\d[\d., ']*$/.test(t)) return undefined;
  t = t.replace(/[ ']/g, "");
  const lastDot = t.lastIndexOf(".");
  const lastComma = t.lastIndexOf(",");
  const last = Math.max(lastDot, lastComma);
  let normal: string;
  if (last < 0) normal = t;
  else {
    const decimals = t.length - last - 1;
    const sep = t[last]!;
    const other = sep === "." ? "," : ".";
    const single = t.indexOf(sep) === last && !t.includes(other);
    if (decimals === 3 && single) normal = t.replace(sep, "");
    else if (decimals >= 1 && decimals <= 2 && t.indexOf(sep) === last) {
      normal = `${t.slice(0, last).split(other).join("")}.${t.slice(last + 1)}`;
    } else if (decimals === 3 && !t.includes(other)) normal = t.split(sep).join("");
    else return undefined;
  }
  if (!/^\d+(?:\.\d+)?$/.test(normal)) return undefined;
  const amount = Number(normal);
  if (!Number.isFinite(amount)) return undefined;
  const money: Money = { amount: negative ? -amount : amount, currency };
  if (sign !== undefined) money.sign = sign;
  return money;
}
