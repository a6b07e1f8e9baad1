/**
 * The small transforms a mapping applies to a value, in order: trim, lower, upper, strip_html,
 * collapse, split_price, default, template, number, prefix, suffix, replace, split, map, and for
 * cell shapes (./cells.ts) first, last, json, category, price.
 *
 * A transform spec is a name (`"trim"`) or a one-key object (`{"prefix": "https://shop/"}`).
 * Specs are checked once (`checkTransform`, used by the mapping-file validation) and compiled once
 * into plain functions; applying them is a synchronous call per value.
 */
import { normalizeText, parsePrice, stripHtml } from "../schemas/normalize.js";
import type { Fields } from "../src/core/record.js";
import { categoryPath, jsonValue, listItems, parseMoney } from "./cells.js";
import { compileTemplate, type TemplateCheck, checkTemplate } from "./template.js";
import { isValidPath, toText, type Value } from "./value.js";

/** A transform spec as written in a preset or mapping file. */
export type TransformSpec = string | { [name: string]: unknown };

/** Per-record scratch state shared by the transforms of one mapping (e.g. a currency split off a price). */
export interface MapState {
  /** Currency code found by `split_price` in a price text, used when no currency field is mapped. */
  splitCurrency?: string | undefined;
  /**
   * What the price text of the field being mapped states, its code or its sign (`price`,
   * `split_price`), with that text: the mapping compares it with the record's currency field after
   * each field (a text in EUR must not be pushed in the column's USD).
   */
  stated?: { currency: string | undefined; sign?: string | undefined } | undefined;
  statedText?: string | undefined;
}

export type TransformFn = (value: Value, fields: Fields, state: MapState) => Value;

export const TRANSFORM_NAMES = [
  "trim",
  "lower",
  "upper",
  "strip_html",
  "collapse",
  "split_price",
  "default",
  "template",
  "number",
  "prefix",
  "suffix",
  "replace",
  "split",
  "map",
  "first",
  "last",
  "json",
  "category",
  "price",
] as const;

export type TransformName = (typeof TRANSFORM_NAMES)[number];

const NEEDS_ARG: Record<TransformName, "none" | "optional" | "required"> = {
  trim: "none",
  lower: "none",
  upper: "none",
  strip_html: "none",
  collapse: "none",
  split_price: "optional",
  default: "required",
  template: "required",
  number: "optional",
  prefix: "required",
  suffix: "required",
  replace: "required",
  split: "required",
  map: "required",
  first: "optional",
  last: "optional",
  json: "optional",
  category: "none",
  price: "none",
};

/** Collapse whitespace runs to one space and trim. */
export function collapseWhitespace(s: string): string {
  return normalizeText(s);
}

const PRICE_TEXT_RE =
  /^\s*(?:([A-Za-z]{3})\s*)?([-+]?[$€£¥]?\s*\d[\d.,\s\u00a0\u202f']*[$€£¥]?)\s*(?:([A-Za-z]{3}))?\s*$/;

/** Split price text such as `349.00 EUR` or `EUR 349.00` into amount text and currency code. */
export function splitPrice(text: string): { amount: string; currency: string | undefined } | undefined {
  const m = PRICE_TEXT_RE.exec(text);
  if (!m) return undefined;
  const currency = m[1] ?? m[3];
  if (m[1] !== undefined && m[3] !== undefined) return undefined;
  return { amount: m[2]!.trim(), currency: currency?.toUpperCase() };
}

/**
 * Parse a number written with either separator convention (`1,234.56`, `1234.56`; with
 * `decimalComma` `1.234,56`, `12,50`); currency symbols are ignored. Undefined when not a number.
 * Uses the price rule's parser, so mapping and validation agree on what a number is.
 */
export function parseLocaleNumber(text: string, decimalComma: boolean): number | undefined {
  const r = parsePrice(text, { decimalComma });
  return r.ok ? r.amount : undefined;
}

/** Whether a BCP 47 locale writes decimals with a comma (`de`, `fr`, `pt-BR` ...). */
export function localeUsesDecimalComma(locale: string): boolean {
  const parts = new Intl.NumberFormat(locale).formatToParts(1.5);
  return parts.find((p) => p.type === "decimal")?.value === ",";
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A problem with a transform spec, phrased for the user. */
export type TransformCheck = { ok: true; name: TransformName; arg: unknown } | { ok: false; problem: string };

/** Check one transform spec (name, argument shape); used before any input is read. */
export function checkTransform(spec: unknown): TransformCheck {
  let name: string;
  let arg: unknown;
  if (typeof spec === "string") {
    name = spec;
    arg = undefined;
  } else if (isPlainObject(spec)) {
    const keys = Object.keys(spec);
    if (keys.length !== 1) {
      return {
        ok: false,
        problem: `a transform object must have exactly one key (the transform name), got ${keys.length === 0 ? "none" : keys.join(", ")}`,
      };
    }
    name = keys[0]!;
    arg = spec[name];
  } else {
    return {
      ok: false,
      problem: `a transform must be a name or a one-key object, got ${JSON.stringify(spec)}`,
    };
  }
  if (!(TRANSFORM_NAMES as readonly string[]).includes(name)) {
    return { ok: false, problem: `unknown transform "${name}" (known: ${TRANSFORM_NAMES.join(", ")})` };
  }
  const n = name as TransformName;
  const need = NEEDS_ARG[n];
  if (need === "required" && arg === undefined) {
    return { ok: false, problem: `transform "${n}" needs an argument, e.g. {"${n}": ${exampleArg(n)}}` };
  }
  if (need === "none" && arg !== undefined && arg !== true) {
    return { ok: false, problem: `transform "${n}" takes no argument` };
  }
  const bad = (what: string) => ({ ok: false as const, problem: `transform "${n}": ${what}` });
  switch (n) {
    case "default":
    case "prefix":
    case "suffix":
      if (typeof arg !== "string" && typeof arg !== "number")
        return bad(`expected a text, got ${JSON.stringify(arg)}`);
      break;
    case "template": {
      if (typeof arg !== "string") return bad(`expected a template text, got ${JSON.stringify(arg)}`);
      const t: TemplateCheck = checkTemplate(arg);
      if (!t.ok) return bad(t.problem);
      break;
    }
    case "split_price":
      if (arg !== undefined && arg !== "amount" && arg !== "currency") {
        return bad(`expected "amount" or "currency", got ${JSON.stringify(arg)}`);
      }
      break;
    case "number": {
      if (arg === undefined || arg === true) break;
      if (!isPlainObject(arg)) return bad(`expected {"locale": "de"} or {"decimalComma": true}`);
      for (const k of Object.keys(arg)) {
        if (k !== "locale" && k !== "decimalComma")
          return bad(`unknown option "${k}" (known: locale, decimalComma)`);
      }
      if (arg.decimalComma !== undefined && typeof arg.decimalComma !== "boolean") {
        return bad("decimalComma must be true or false");
      }
      if (arg.locale !== undefined) {
        if (typeof arg.locale !== "string") return bad("locale must be a text such as de or en-US");
        try {
          localeUsesDecimalComma(arg.locale);
        } catch {
          return bad(`"${arg.locale}" is not a valid locale (e.g. de, fr-FR, en-US)`);
        }
      }
      break;
    }
    case "replace": {
      if (!isPlainObject(arg) || typeof arg.pattern !== "string") {
        return bad(`expected {"pattern": "...", "with": "...", "regex": false}`);
      }
      for (const k of Object.keys(arg)) {
        if (k !== "pattern" && k !== "with" && k !== "regex")
          return bad(`unknown option "${k}" (known: pattern, with, regex)`);
      }
      if (arg.with !== undefined && typeof arg.with !== "string") return bad(`"with" must be a text`);
      if (arg.regex !== undefined && typeof arg.regex !== "boolean")
        return bad(`"regex" must be true or false`);
      if (arg.regex === true) {
        try {
          new RegExp(arg.pattern, "g");
        } catch (e) {
          return bad(`bad regular expression: ${(e as Error).message}`);
        }
      }
      break;
    }
    case "split": {
      if (typeof arg === "string") {
        if (arg === "") return bad("the separator must not be empty");
        break;
      }
      if (!isPlainObject(arg) || typeof arg.separator !== "string" || arg.separator === "") {
        return bad(`expected a separator text or {"separator": ",", "index": 0}`);
      }
      if (arg.index !== undefined && (!Number.isInteger(arg.index) || (arg.index as number) < 0)) {
        return bad("index must be a whole number from 0");
      }
      break;
    }
    case "first":
    case "last":
      if (arg !== undefined && (typeof arg !== "string" || arg === "")) {
        return bad(`expected a separator text such as "|", got ${JSON.stringify(arg)}`);
      }
      break;
    case "json":
      if (
        arg !== undefined &&
        (typeof arg !== "string" || !isValidPath(`$${arg.startsWith("[") ? "" : "."}${arg}`))
      ) {
        return bad(
          `expected a path into the JSON such as "[0].url" or "images[0]", got ${JSON.stringify(arg)}`,
        );
      }
      break;
    case "map": {
      if (!isPlainObject(arg))
        return bad(`expected an object of value → replacement, e.g. {"1": "in_stock"}`);
      for (const [k, v] of Object.entries(arg)) {
        if (typeof v !== "string" && typeof v !== "number")
          return bad(`replacement for "${k}" must be a text`);
      }
      break;
    }
    default:
      break;
  }
  return { ok: true, name: n, arg };
}

function exampleArg(n: TransformName): string {
  switch (n) {
    case "default":
      return '"in_stock"';
    case "template":
      return '"{value} cm"';
    case "prefix":
      return '"https://shop.example/"';
    case "suffix":
      return '".html"';
    case "replace":
      return '{"pattern": "http:", "with": "https:"}';
    case "split":
      return '","';
    case "map":
      return '{"1": "in_stock", "0": "out_of_stock"}';
    default:
      return "...";
  }
}

const str = (v: Value): string | undefined => toText(v);

/** Compile a checked transform into a function. Throws on an invalid spec (check first). */
export function compileTransform(spec: TransformSpec): TransformFn {
  const c = checkTransform(spec);
  if (!c.ok) throw new Error(c.problem);
  const { name, arg } = c;
  switch (name) {
    case "trim":
      return (v) => (typeof v === "string" ? v.trim() || undefined : v);
    case "lower":
      return (v) => (typeof v === "string" ? v.toLowerCase() : v);
    case "upper":
      return (v) => (typeof v === "string" ? v.toUpperCase() : v);
    case "collapse":
      return (v) => (typeof v === "string" ? collapseWhitespace(v) || undefined : v);
    case "strip_html":
      return (v) => (typeof v === "string" ? stripHtml(v) || undefined : v);
    case "split_price": {
      const part = (arg ?? "amount") as "amount" | "currency";
      return (v, _f, state) => {
        if (typeof v !== "string") return part === "amount" ? v : undefined;
        const s = splitPrice(v);
        if (!s) return part === "amount" ? v : undefined; // left as written: the price rule reports it
        if (part === "currency") return s.currency;
        if (s.currency !== undefined) {
          if (state.splitCurrency === undefined) state.splitCurrency = s.currency;
          state.stated = s;
          state.statedText = v;
        }
        return s.amount;
      };
    }
    case "default": {
      const d = String(arg);
      return (v) => (v === undefined || v === "" ? d : v);
    }
    case "template": {
      const t = compileTemplate(arg as string, { allowValue: true });
      return (v, fields) => t(fields, v);
    }
    case "number": {
      const o = (arg ?? {}) as { locale?: string; decimalComma?: boolean };
      const comma = o.decimalComma ?? (o.locale !== undefined ? localeUsesDecimalComma(o.locale) : false);
      return (v, _f, state) => {
        if (typeof v !== "string") return v;
        const r = parsePrice(v, { decimalComma: comma });
        if (!r.ok) return v; // unparsable text is kept: the rule reports it with the raw value
        // A sign (`€10.00`) is not a code to fill the currency with, but it must not contradict it.
        if (r.sign !== undefined) {
          state.stated = r;
          state.statedText = v;
        }
        return r.amount;
      };
    }
    case "prefix": {
      const p = String(arg);
      return (v) => (v === undefined ? v : p + str(v));
    }
    case "suffix": {
      const s = String(arg);
      return (v) => (v === undefined ? v : str(v) + s);
    }
    case "replace": {
      const o = arg as { pattern: string; with?: string; regex?: boolean };
      const by = o.with ?? "";
      if (o.regex) {
        const re = new RegExp(o.pattern, "g");
        return (v) => (v === undefined ? v : str(v)!.replace(re, by) || undefined);
      }
      return (v) => (v === undefined ? v : str(v)!.split(o.pattern).join(by) || undefined);
    }
    case "split": {
      const o =
        typeof arg === "string"
          ? { separator: arg, index: 0 }
          : (arg as { separator: string; index?: number });
      const index = o.index ?? 0;
      return (v) => {
        if (typeof v !== "string") return v;
        const part = v.split(o.separator)[index]?.trim();
        return part === "" ? undefined : part;
      };
    }
    case "first":
    case "last": {
      const sep = arg as string | undefined;
      const pick = name === "first" ? (l: string[]) => l[0] : (l: string[]) => l[l.length - 1];
      return (v) => (typeof v === "string" ? pick(listItems(v, sep)) : v);
    }
    case "json": {
      const path = arg as string | undefined;
      return (v) => {
        if (typeof v !== "string") return path === undefined ? v : undefined;
        const j = jsonValue(v, path);
        return j !== undefined || path !== undefined ? j : v;
      };
    }
    case "category":
      return (v) => (typeof v === "string" ? categoryPath(v) : v);
    case "price":
      return (v, _f, state) => {
        if (typeof v !== "string") return v;
        const m = parseMoney(v);
        if (!m) return v; // left as written: the price rule reports it with the raw value
        if (m.currency !== undefined) {
          if (state.splitCurrency === undefined) state.splitCurrency = m.currency;
          state.stated = m;
          state.statedText = v;
        }
        return m.amount;
      };
    case "map": {
      const table = new Map<string, string>();
      for (const [k, val] of Object.entries(arg as Record<string, string | number>)) {
        table.set(k.trim().toLowerCase(), String(val));
      }
      return (v) => {
        if (v === undefined) return v;
        const hit = table.get(str(v)!.trim().toLowerCase());
        return hit ?? v;
      };
    }
  }
}

/** Compose transforms left to right. */
export function compileTransforms(specs: readonly TransformSpec[] | undefined): TransformFn | undefined {
  if (!specs || specs.length === 0) return undefined;
  const fns = specs.map(compileTransform);
  if (fns.length === 1) return fns[0];
  return (v, fields, state) => {
    let x = v;
    for (const f of fns) x = f(x, fields, state);
    return x;
  };
}
