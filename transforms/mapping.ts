/**
 * Declarative mappings: target product field → source field(s), a constant or a template, plus a
 * small pipeline of transforms. Presets and mapping files share this shape; both are compiled once
 * into one plain function `(fields) → candidate` that runs synchronously per record.
 */
import { isCurrencyCode, normalizeCurrency } from "../schemas/normalize.js";
import { PRODUCT_FIELDS, type Product } from "../schemas/product.js";
import { priceCurrencyMismatch } from "../schemas/validate.js";
import { isBlankText } from "../src/core/plain-text.js";
import type { Fields, Issue } from "../src/core/record.js";
import { compileTemplate } from "./template.js";
import { compileTransforms, type MapState, type TransformSpec } from "./transforms.js";
import { compilePath, type Getter, keyIndex, toValue, type Value } from "./value.js";

export type ProductField = keyof Product;

/** Computed field (presets only, not mapping files): a function of the whole record. */
export type ComputeFn = (fields: Fields) => Value;

export type FieldSpec =
  | string
  | readonly string[]
  | { from: string | readonly string[]; transforms?: readonly TransformSpec[] | undefined }
  | { const: string | number; transforms?: readonly TransformSpec[] | undefined }
  | { template: string; transforms?: readonly TransformSpec[] | undefined }
  | { compute: ComputeFn; transforms?: readonly TransformSpec[] | undefined };

export interface MappingOptions {
  /** Prices are written `1.234,56` (passed on to the price rule). */
  decimalComma?: boolean | undefined;
}

export interface MappingSpec {
  fields: Partial<Record<ProductField, FieldSpec>>;
  options?: MappingOptions | undefined;
}

/** What a mapping makes of one record: product fields still as text (or numbers), before the rules. */
export type Candidate = Partial<Record<ProductField, string | number>>;

/**
 * `issues`, when given, receives what only the mapping can see: a price text whose currency
 * (`€10.00`, `349.00 EUR`) contradicts the record's currency field, as PRICE_CURRENCY_MISMATCH
 * (the validator then only sees the amount).
 */
export type Mapper = (fields: Fields, issues?: Issue[]) => Candidate;

/** Whether a field name is one of the product's fields. */
export function isProductField(name: string): name is ProductField {
  return (PRODUCT_FIELDS as readonly string[]).includes(name);
}

function nonBlank(v: Value): Value {
  if (typeof v === "string" && isBlankText(v)) return undefined;
  return v;
}

/**
 * Resolve a source name against the header: the exact spelling when present, otherwise a
 * case-insensitive match (`handle` for `Handle`), otherwise as written (XML records vary per item).
 */
export function makeResolver(keys: Iterable<string> | undefined): (name: string) => string {
  if (!keys) return (n) => n;
  const exact = new Set(keys);
  const index = keyIndex(exact);
  return (n) => (exact.has(n) ? n : (index.get(n.trim().toLowerCase()) ?? n));
}

function isList(v: unknown): v is readonly string[] {
  return Array.isArray(v);
}

type FieldFn = (fields: Fields, state: MapState) => Value;

function compileSource(from: string | readonly string[], resolve: (n: string) => string): FieldFn {
  const names = typeof from === "string" ? [from] : from;
  const getters: Getter[] = names.map((n) => compilePath(resolve(n)));
  if (getters.length === 1) {
    const g = getters[0]!;
    return (f) => {
      const raw = g(f);
      if (typeof raw === "string") return isBlankText(raw) ? undefined : raw;
      return nonBlank(toValue(raw));
    };
  }
  return (f) => {
    for (const g of getters) {
      const raw = g(f);
      const v = typeof raw === "string" ? (isBlankText(raw) ? undefined : raw) : nonBlank(toValue(raw));
      if (v !== undefined) return v;
    }
    return undefined;
  };
}

/** Compile one field spec. */
export function compileField(spec: FieldSpec, resolve: (n: string) => string = (n) => n): FieldFn {
  let base: FieldFn;
  let transforms: readonly TransformSpec[] | undefined;
  if (typeof spec === "string" || isList(spec)) {
    base = compileSource(spec, resolve);
  } else if ("from" in spec) {
    base = compileSource(spec.from, resolve);
    transforms = spec.transforms;
  } else if ("const" in spec) {
    const c = spec.const;
    base = () => c;
    transforms = spec.transforms;
  } else if ("template" in spec) {
    const t = compileTemplate(spec.template, { resolve });
    base = (f) => t(f);
    transforms = spec.transforms;
  } else {
    const fn = spec.compute;
    base = (f) => nonBlank(fn(f));
    transforms = spec.transforms;
  }
  const tf = compileTransforms(transforms);
  if (!tf) return base;
  return (f, state) => nonBlank(tf(base(f, state), f, state));
}

type Stated = NonNullable<MapState["stated"]>;

/**
 * PRICE_CURRENCY_MISMATCH into `issues` when a price text stated another currency than the
 * record's. Only against a valid currency: an invalid one is the validator's CURRENCY_INVALID.
 */
function checkStated(
  issues: Issue[],
  field: "price" | "old_price",
  stated: Stated,
  text: string | undefined,
  currency: string | number | undefined,
): void {
  if (typeof currency !== "string") return;
  const code = normalizeCurrency(currency);
  if (!isCurrencyCode(code)) return;
  // A sign is compared as a sign (`$` fits CAD too), a code as the code.
  const m = priceCurrencyMismatch(
    field,
    stated.sign === undefined ? stated.currency : undefined,
    stated.sign,
    code,
    text,
  );
  if (m !== undefined) issues.push(m);
}

/**
 * Compile a mapping into one function. `keys` (the header, or the first record's keys) lets source
 * names match case-insensitively. When a price was split (`349.00 EUR`) and no currency field gives
 * a value, the currency from the price text is used; when one does and the price text says another
 * currency, that is a PRICE_CURRENCY_MISMATCH (into the mapper's `issues`), never dropped.
 */
export function compileMapping(
  spec: MappingSpec,
  keys?: Iterable<string>,
  /** The run's currency for a record that states none (before the price texts are compared). */
  defaultCurrency?: string,
): Mapper {
  const resolve = makeResolver(keys);
  // Two parallel arrays and an index loop: this runs once per record.
  const names: ProductField[] = [];
  const fns: FieldFn[] = [];
  for (const field of PRODUCT_FIELDS) {
    const s = spec.fields[field];
    if (s !== undefined) {
      names.push(field);
      fns.push(compileField(s, resolve));
    }
  }
  const n = names.length;
  const numeric = names.map((f) => f === "price" || f === "old_price" || f === "gtin");
  const priceAt = names.indexOf("price");
  const oldPriceAt = names.indexOf("old_price");
  return (fields, issues) => {
    const state: MapState = { splitCurrency: undefined, stated: undefined, statedText: undefined };
    const out: Candidate = {};
    let price: Stated | undefined;
    let priceText: string | undefined;
    let oldPrice: Stated | undefined;
    let oldPriceText: string | undefined;
    for (let i = 0; i < n; i++) {
      const v = fns[i]!(fields, state);
      // A number JSON overflowed (1e400 is Infinity) is kept for the rules that judge numbers
      // (price, old_price: out of range; gtin: not numeric), never turned into the text "Infinity".
      if (v !== undefined && (typeof v !== "number" || numeric[i] || Number.isFinite(v))) out[names[i]!] = v;
      if (state.stated !== undefined) {
        // Kept per field: price and old_price may each state a currency.
        if (i === priceAt) {
          price = state.stated;
          priceText = state.statedText;
        } else if (i === oldPriceAt) {
          oldPrice = state.stated;
          oldPriceText = state.statedText;
        }
        state.stated = undefined;
      }
    }
    if (out.currency === undefined && state.splitCurrency !== undefined) out.currency = state.splitCurrency;
    if (out.currency === undefined && defaultCurrency !== undefined) out.currency = defaultCurrency;
    if (issues !== undefined) {
      if (price !== undefined) checkStated(issues, "price", price, priceText, out.currency);
      if (oldPrice !== undefined) checkStated(issues, "old_price", oldPrice, oldPriceText, out.currency);
    }
    return out;
  };
}

/** A mapped field none of whose source columns the feed has. */
export interface AbsentSource {
  field: ProductField;
  /** The source names as the mapping writes them. */
  names: string[];
}

/** The source names a field spec reads as they are (a name, a list, `from`); undefined for others. */
export function sourceNames(s: FieldSpec | undefined): string[] | undefined {
  if (s === undefined) return undefined;
  const from = typeof s === "string" || isList(s) ? s : "from" in s ? s.from : undefined;
  if (from === undefined) return undefined;
  return typeof from === "string" ? [from] : [...from];
}

/**
 * The fields of `spec` whose every source column is missing from `keys` (a CSV/TSV header):
 * a mapping written for another export (`id` where the file says `sku`) would otherwise only show
 * as REQUIRED_MISSING on every row. Names match as the mapper matches them (exactly, then
 * case-insensitively); a path (`shipping.price`, `image[0]`) counts by its first step, as written. Constants,
 * templates and computed fields are not checked.
 */
export function absentSources(spec: MappingSpec, keys: Iterable<string>): AbsentSource[] {
  const header = new Set(keys);
  const resolve = makeResolver(header);
  // A path's first step is looked up as written (compilePath), a whole name also case-insensitively.
  const has = (name: string) => header.has(resolve(name)) || header.has(name.split(/[.[/@]/)[0]!);
  const out: AbsentSource[] = [];
  for (const field of PRODUCT_FIELDS) {
    const names = sourceNames(spec.fields[field]);
    if (names !== undefined && names.length > 0 && !names.some(has)) out.push({ field, names });
  }
  return out;
}
