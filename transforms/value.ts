/**
 * Reading values out of source records: field paths (`product.inventories[0].price`, `g:price`,
 * a literal flattened column such as `image[0].url`) and turning parsed values into text.
 */
import type { Fields, FieldValue } from "../src/core/record.js";

/** A mapped value: text or a number (JSON sources give numbers); undefined = missing. */
export type Value = string | number | undefined;

/** A compiled path lookup. */
export type Getter = (fields: Fields) => FieldValue | undefined;

/** One step of a path: a key (`brand`, `@id`), a list index, or a choice by attribute. */
type Step = string | number | { attr: string; value: string };

/**
 * Split a path into steps: `a.b`, `a/b`, `a[0].b`, `image@type`, `@id`,
 * `images/image[@type=main]` (also `[@type="main"]`). Undefined when it is not a valid path.
 */
function parseSteps(path: string): Step[] | undefined {
  const steps: Step[] = [];
  let name = "";
  let afterBracket = false;
  const flush = (): void => {
    if (name !== "") steps.push(name);
    name = "";
  };
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === "." || c === "/") {
      if (name === "" && !afterBracket) return undefined;
      flush();
      afterBracket = false;
      if (i === path.length - 1) return undefined;
      continue;
    }
    if (c === "[") {
      const end = path.indexOf("]", i);
      if (end < 0) return undefined;
      const inner = path.slice(i + 1, end);
      if (name === "" && steps.length === 0 && !/^\d+$/.test(inner)) return undefined;
      flush();
      if (/^\d+$/.test(inner)) steps.push(Number(inner));
      else {
        const m = /^@([^=\]]+)=(?:"([^"]*)"|'([^']*)'|([^\]]*))$/.exec(inner);
        if (!m) return undefined;
        steps.push({ attr: `@${m[1]!.trim()}`, value: (m[2] ?? m[3] ?? m[4] ?? "").trim() });
      }
      i = end;
      afterBracket = true;
      continue;
    }
    if (c === "]") return undefined;
    if (c === "@" && name !== "") {
      // `image@type`: the attribute of that element.
      flush();
    }
    if (afterBracket && c !== "@") return undefined;
    afterBracket = false;
    name += c;
  }
  flush();
  return steps.length > 0 ? steps : undefined;
}

/**
 * Whether a `from` path is syntactically valid (`a`, `a.b`, `a/b`, `a[0].b`, `g:price`,
 * `Body (HTML)`, `image@type`, `images/image[@type=main]`).
 */
export function isValidPath(path: string): boolean {
  return path.length > 0 && parseSteps(path) !== undefined;
}

function attrOf(v: FieldValue, attr: string): string | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  const a = (v as Record<string, FieldValue>)[attr];
  return typeof a === "string" || typeof a === "number" ? String(a).trim() : undefined;
}

function walk(value: FieldValue | undefined, steps: readonly Step[]): FieldValue | undefined {
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
    } else if (typeof s === "object") {
      // `[@type=main]`: the first element whose attribute has that value.
      const items: FieldValue[] = Array.isArray(v) ? v : [v];
      v = items.find((item) => attrOf(item, s.attr) === s.value);
    } else {
      // A list where a single element was expected: look into its first item.
      if (Array.isArray(v)) v = v[0];
      if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
      v = Object.hasOwn(v, s) ? (v as Record<string, FieldValue>)[s] : undefined;
    }
  }
  return v;
}

/**
 * Compile a path into a getter. A literal key is tried first (CSV headers such as `image[0].url`,
 * `Body (HTML)` or `Google Shopping / MPN`), then the walk into nested values.
 */
export function compilePath(path: string): Getter {
  if (!/[.[/@]/.test(path)) return (fields) => fields[path];
  const steps = parseSteps(path);
  if (!steps || steps.length === 1) return (fields) => fields[path];
  const head = steps[0];
  const rest = steps.slice(1);
  return (fields) => {
    const direct = fields[path];
    if (direct !== undefined) return direct;
    if (typeof head !== "string" || !Object.hasOwn(fields, head)) return undefined;
    return walk(fields[head], rest);
  };
}

const TEXT_KEYS = ["#text", "@_href", "@href", "href", "_", "value", "$t"];
const REL_KEYS = ["@_rel", "@rel"];

function relOf(v: FieldValue): string | undefined {
  if (v === null || typeof v !== "object" || Array.isArray(v)) return undefined;
  for (const k of REL_KEYS) {
    const r = v[k];
    if (typeof r === "string") return r.trim().toLowerCase();
  }
  return undefined;
}

function hasRel(v: FieldValue): boolean {
  return relOf(v) !== undefined;
}

/**
 * A parsed value as text: strings as they are, numbers as numbers, lists by their first non-empty
 * item, XML elements by their text (or `href` attribute, as Atom's `<link href>`); empty → undefined.
 * A number JSON overflowed (`1e400` is Infinity) is a value too: the rules reject it as out of range;
 * as "missing" it was misreported, and an optional old_price or gtin vanished without a word.
 */
export function toValue(v: FieldValue | undefined): Value {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "number") return v;
  if (typeof v === "boolean") return v ? "true" : "false";
  if (Array.isArray(v)) {
    // Atom's links: the page is the `alternate` one (or one without `rel`), not `self`, `edit`, ...
    if (v.some(hasRel)) {
      for (const item of v) {
        const rel = relOf(item);
        if (rel !== undefined && rel !== "alternate") continue;
        const t = toValue(item);
        if (t !== undefined && t !== "") return t;
      }
    }
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
