/**
 * Reading values out of source records: field paths (`product.inventories[0].price`, `g:price`,
 * a literal flattened column such as `image[0].url`) and turning parsed values into text.
 */
import type { Fields, FieldValue } from "../src/core/record.js";

/** A mapped value: text or a number (JSON sources give numbers); undefined = missing. */
export type Value = string | number | undefined;

/** A compiled path lookup. */
export type Getter = (fields: Fields) => FieldValue | undefined;

type Step = string | number;

const PATH_RE = /^(?:[^.[\]]+|\[\d+\])(?:\.[^.[\]]+|\[\d+\])*$/;

/** Whether a `from` path is syntactically valid (`a`, `a.b`, `a[0].b`, `g:price`, `Body (HTML)`). */
export function isValidPath(path: string): boolean {
  return path.length > 0 && PATH_RE.test(path);
}

function parseSteps(path: string): Step[] {
  const steps: Step[] = [];
  for (const m of path.matchAll(/([^.[\]]+)|\[(\d+)\]/g)) {
    if (m[1] !== undefined) steps.push(m[1]);
    else steps.push(Number(m[2]));
  }
  return steps;
}

function walk(value: FieldValue | undefined, steps: Step[]): FieldValue | undefined {
  let v = value;
  for (const s of steps) {
    if (v === null || v === undefined) return undefined;
    if (typeof s === "number") {
      if (!Array.isArray(v)) {
        // XML gives a single element where a list was expected: `[0]` of a non-list is itself.
        if (s === 0 && typeof v === "object") continue;
        return undefined;
      }
      v = v[s];
    } else {
      // A list where a single element was expected: look into its first item.
      if (Array.isArray(v)) v = v[0];
      if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
      v = (v as Record<string, FieldValue>)[s];
    }
  }
  return v;
}

/**
 * Compile a path into a getter. A literal key is tried first (CSV headers such as `image[0].url` or
 * `Body (HTML)`), then the dotted/indexed walk into nested values.
 */
export function compilePath(path: string): Getter {
  if (!/[.[]/.test(path)) return (fields) => fields[path];
  const steps = parseSteps(path);
  return (fields) => {
    const direct = fields[path];
    if (direct !== undefined) return direct;
    return walk(fields[steps[0] as string], steps.slice(1));
  };
}

const TEXT_KEYS = ["#text", "@_href", "@href", "href", "_", "value", "$t"];

/**
 * A parsed value as text: strings as they are, numbers as numbers, lists by their first non-empty
 * item, XML elements by their text (or `href` attribute, as Atom's `<link href>`); empty → undefined.
 */
export function toValue(v: FieldValue | undefined): Value {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number") return Number.isFinite(v) ? v : undefined;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) {
    for (const item of v) {
      const t = toValue(item);
      if (t !== undefined && t !== "") return t;
    }
    return undefined;
  }
  for (const k of TEXT_KEYS) {
    if (k in v) {
      const t = toValue(v[k]);
      if (t !== undefined) return t;
    }
  }
  return undefined;
}

/** Text of a value (numbers formatted plainly); undefined stays undefined. */
export function toText(v: Value): string | undefined {
  if (v === undefined) return undefined;
  return typeof v === "number" ? String(v) : v;
}

/** Whether a value is missing or blank text. */
export function isBlank(v: FieldValue | undefined): boolean {
  if (v === undefined || v === null) return true;
  if (typeof v === "string")
    return v.length === 0 || (v.charCodeAt(0) <= 32 || v.charCodeAt(0) === 0xa0 ? v.trim() === "" : false);
  if (Array.isArray(v)) return v.every(isBlank);
  return false;
}

/** Whether every field of a record is blank (a blank CSV row). */
export function isBlankRecord(fields: Fields): boolean {
  for (const k in fields) if (!isBlank(fields[k])) return false;
  return true;
}

/** Case-insensitive lookup table from lower-cased key to the key as spelled in the source. */
export function keyIndex(keys: Iterable<string>): Map<string, string> {
  const m = new Map<string, string>();
  for (const k of keys) {
    const lk = k.trim().toLowerCase();
    if (!m.has(lk)) m.set(lk, k);
  }
  return m;
}
