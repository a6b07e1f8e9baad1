/** Small helpers shared by the presets. */
import type { FieldValue, Fields } from "../../src/core/record.js";
import { isBlank, toText, toValue } from "../value.js";

/** A field's text, trimmed; undefined when missing or blank. */
export function text(fields: Fields, key: string): string | undefined {
  const t = toText(toValue(fields[key]))?.trim();
  return t === "" ? undefined : t;
}

/** The first non-blank of several fields. */
export function firstText(fields: Fields, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const t = text(fields, k);
    if (t !== undefined) return t;
  }
  return undefined;
}

/**
 * A copy of `child` whose blank fields are taken from `parent`, except for keys `keep` says are the
 * child's own (its SKU, price, stock ...).
 */
export function inherit(child: Fields, parent: Fields, keep: (key: string) => boolean): Fields {
  const out: Fields = { ...child };
  for (const k in parent) {
    if (keep(k)) continue;
    if (isBlank(out[k]) && !isBlank(parent[k])) out[k] = parent[k]!;
  }
  return out;
}

/** Parse `a=1,b=2` attribute lists (Magento `additional_attributes`). */
export function parseAttributeList(s: string | undefined): Map<string, string> {
  const m = new Map<string, string>();
  if (!s) return m;
  for (const part of s.split(/,(?=[^,=]+=)/)) {
    const eq = part.indexOf("=");
    if (eq > 0) m.set(part.slice(0, eq).trim().toLowerCase(), part.slice(eq + 1).trim());
  }
  return m;
}

/** Stock text to an availability value: 1/yes/true → in_stock, 0/no/false → out_of_stock. */
export const STOCK_FLAG_MAP = {
  "1": "in_stock",
  "0": "out_of_stock",
  yes: "in_stock",
  no: "out_of_stock",
  y: "in_stock",
  n: "out_of_stock",
  true: "in_stock",
  false: "out_of_stock",
  instock: "in_stock",
  outofstock: "out_of_stock",
  onbackorder: "backorder",
  backorder: "backorder",
} as const;

/** A repeated XML element as a list of records: one element (an object) or a list of them. */
export function elements(v: FieldValue | undefined): Fields[] {
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.filter((x): x is Fields => typeof x === "object" && x !== null && !Array.isArray(x));
}
