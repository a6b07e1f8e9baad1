/**
 * The inferred mapping (`--preset auto` when no preset matches): each product field gets the
 * source column (or XML path) whose name and values fit it best, with a confidence 0..1.
 *
 * - name score (./names.ts): 1 for an exact synonym in any of the supported languages, less for a
 *   name that contains one; nested paths are judged on the whole path and on the last step.
 * - value score (./samples.ts): how many sampled values have the field's shape.
 * - confidence = 0.55 · name + 0.45 · value. Values override names: a name whose values do not fit
 *   at all (a "price" column of words, an "image" column of page URLs) keeps only a quarter of its
 *   name score; a distinctive shape alone (image URLs, valid GTINs, ISO codes, long text) can
 *   suggest a field at up to 0.6.
 * - Fields are assigned greedily by confidence (ties: better values, then the shallower path), each
 *   column to one field. A required field with no candidate is left unmapped and reported.
 *
 * Nothing here reads input: it works on the first records the pipeline read ahead.
 */
import { PRODUCT_FIELDS, REQUIRED_PRODUCT_FIELDS } from "../../schemas/product.js";
import { looksLikeHtml } from "../../schemas/normalize.js";
import type { Fields } from "../../src/core/record.js";
import { parseJsonCell } from "../cells.js";
import type { FieldSpec, MappingSpec, ProductField } from "../mapping.js";
import type { TransformSpec } from "../transforms.js";
import { exactFields, nameScore } from "./names.js";
import {
  isImageUrl,
  isListCell,
  isRelativePath,
  moneyCurrency,
  sampleColumns,
  type SourceColumn,
  VALUE_ONLY_FIELDS,
  valueScore,
} from "./samples.js";

/** How many clean records inference looks at. */
export const INFER_SAMPLE = 50;
/** Below this a candidate is not used. */
export const MIN_CONFIDENCE = 0.4;
/** Runner-ups from this confidence are named (report, scaffold) though not used. */
const MIN_CANDIDATE = 0.2;

export interface FieldCandidate {
  source: string;
  confidence: number;
}

export interface InferredField {
  field: ProductField;
  source: string;
  confidence: number;
  transforms: TransformSpec[];
  /** A few sample values as read. */
  samples: string[];
  /** Other columns that could be this field, best first. */
  candidates: FieldCandidate[];
}

export interface InferredMapping {
  /** Records looked at. */
  sampled: number;
  fields: InferredField[];
  /** Currency codes found in the price texts when no currency column exists (`$269.99` → USD). */
  currencyFromPrice?: { source: string; codes: string[] } | undefined;
  /** Required product fields that no column fits. */
  unmapped: ProductField[];
  /** Options the layout needs: no currency anywhere; relative product or image URLs. */
  needs: { currency: boolean; baseUrl: boolean };
  spec: MappingSpec;
}

const round = (x: number) => Math.round(x * 100) / 100;

function pathName(path: string): { whole: string; last: string; parent: string | undefined } {
  const slash = path.lastIndexOf("/");
  if (slash < 0) return { whole: path, last: path, parent: undefined };
  const parent = path.slice(0, slash);
  return { whole: path, last: path.slice(slash + 1), parent: parent.slice(parent.lastIndexOf("/") + 1) };
}

/** Name score of a source path for a field (whole path, or its last step). */
function pathNameScore(path: string, field: ProductField): number {
  // `attrs/a[@name=EAN]`: the element says what it is in its name attribute.
  const named = /\[@(?:name|key)=([^\]]+)\]$/.exec(path);
  if (named) return nameScore(named[1]!, field);
  const p = pathName(path);
  const whole = nameScore(p.whole, field);
  if (p.parent === undefined) return whole;
  // `brand/name` is the brand, not the product's name.
  const parentFields = exactFields(p.parent);
  const factor = parentFields.length > 0 && !parentFields.includes(field) ? 0.3 : 0.9;
  return Math.max(whole, nameScore(p.last, field) * factor);
}

interface Scored {
  field: ProductField;
  col: SourceColumn;
  order: number;
  name: number;
  value: number;
  confidence: number;
}

function score(col: SourceColumn, order: number, field: ProductField): Scored {
  const name = pathNameScore(col.path, field);
  const value = valueScore(col, field);
  let confidence: number;
  if (name > 0) {
    if (col.values.length === 0) confidence = 0.45 * name;
    else if (value < 0.25)
      confidence = 0.25 * name; // the values say otherwise
    else confidence = 0.55 * name + 0.45 * value;
  } else confidence = VALUE_ONLY_FIELDS.includes(field) ? 0.6 * value : 0;
  // A choice such as image[@type=main] beats its siblings.
  if (/\[@[^=]+=(?:main|primary|default|large|1)\]/i.test(col.path)) confidence += 0.02;
  else if (/\[@/.test(col.path) && !/\[@(?:name|key)=/i.test(col.path)) confidence -= 0.05;
  return { field, col, order, name, value, confidence: Math.min(1, Math.max(0, confidence)) };
}

function depth(path: string): number {
  return path.split(/[/@[]/).length;
}

function better(a: Scored, b: Scored): number {
  return (
    b.confidence - a.confidence ||
    b.value - a.value ||
    depth(a.col.path) - depth(b.col.path) ||
    a.order - b.order
  );
}

const PLAIN_NUMBER = /^\d+(?:\.\d+)?$/;

function transformsFor(field: ProductField, col: SourceColumn): TransformSpec[] {
  const vs = col.values;
  switch (field) {
    case "url":
    case "image":
      return vs.some(isListCell) ? ["first"] : [];
    case "price":
    case "old_price":
      return vs.some((v) => !PLAIN_NUMBER.test(v.trim())) ? ["price"] : [];
    case "category":
      return vs.some((v) => />>|»|\|/.test(v) || Array.isArray(parseJsonCell(v))) ? ["category"] : [];
    case "description":
      return vs.some(looksLikeHtml) ? ["strip_html"] : [];
    default:
      return [];
  }
}

function samplesOf(col: SourceColumn): string[] {
  const out: string[] = [];
  for (const v of col.values) {
    const t = v.length > 80 ? `${v.slice(0, 79)}…` : v;
    if (!out.includes(t)) out.push(t);
    if (out.length === 3) break;
  }
  return out;
}

/** Infer a mapping from the first records (and the header, for CSV). */
export function inferMapping(records: readonly Fields[], keys?: readonly string[]): InferredMapping {
  const cols = sampleColumns(records, keys);
  const scored: Scored[] = [];
  cols.forEach((col, i) => {
    for (const field of PRODUCT_FIELDS) scored.push(score(col, i, field));
  });
  // Values override names: where another column has the field's distinctive shape (image URLs,
  // page URLs, valid GTINs, ...), a column whose values do not keeps half its confidence.
  const bestValue = new Map<ProductField, number>();
  for (const s of scored) bestValue.set(s.field, Math.max(bestValue.get(s.field) ?? 0, s.value));
  for (const s of scored) {
    if (VALUE_ONLY_FIELDS.includes(s.field) && s.value < 0.5 && (bestValue.get(s.field) ?? 0) >= 0.9) {
      s.confidence *= 0.5;
    }
  }
  const all = scored.filter((s) => s.confidence >= MIN_CONFIDENCE);
  all.sort(better);
  const chosen = new Map<ProductField, Scored>();
  const used = new Set<string>();
  for (const s of all) {
    if (chosen.has(s.field) || used.has(s.col.path)) continue;
    chosen.set(s.field, s);
    used.add(s.col.path);
  }
  const fields: InferredField[] = [];
  const specFields: Partial<Record<ProductField, FieldSpec>> = {};
  for (const field of PRODUCT_FIELDS) {
    const s = chosen.get(field);
    if (!s) continue;
    const transforms = transformsFor(field, s.col);
    const candidates = scored
      .filter((x) => x.field === field && x !== s && x.confidence >= MIN_CANDIDATE)
      .sort(better)
      .slice(0, 3)
      .map((x) => ({ source: x.col.path, confidence: round(x.confidence) }));
    fields.push({
      field,
      source: s.col.path,
      confidence: round(s.confidence),
      transforms,
      samples: samplesOf(s.col),
      candidates,
    });
    specFields[field] = transforms.length > 0 ? { from: s.col.path, transforms } : s.col.path;
  }
  let currencyFromPrice: InferredMapping["currencyFromPrice"];
  const price = chosen.get("price");
  if (!chosen.has("currency") && price) {
    const codes = price.col.values.map(moneyCurrency);
    const found = codes.filter((c): c is string => c !== undefined);
    if (found.length > 0 && found.length >= codes.length / 2) {
      currencyFromPrice = { source: price.col.path, codes: [...new Set(found)] };
    }
  }
  const unmapped = REQUIRED_PRODUCT_FIELDS.filter(
    (f) => !chosen.has(f) && !(f === "currency" && currencyFromPrice),
  );
  const relative = (f: ProductField) => {
    const c = chosen.get(f)?.col;
    return (
      c !== undefined &&
      c.values.length > 0 &&
      c.values.filter((v) => isRelativePath(v) || (f === "image" && isImageUrl(v) && v.startsWith("/")))
        .length >=
        c.values.length / 2
    );
  };
  return {
    sampled: records.length,
    fields,
    currencyFromPrice,
    unmapped,
    needs: { currency: unmapped.includes("currency"), baseUrl: relative("url") || relative("image") },
    spec: { fields: specFields },
  };
}
