/**
 * What a preset is: a declarative mapping for one source layout, a signature to recognise that
 * layout from its header (or an XML record's element names), and optionally a stateful per-record
 * hook that runs before the mapping (variant rows inheriting their parent's blank fields, rows that
 * are not products).
 */
import type { Fields, Issue } from "../src/core/record.js";
import type { MappingSpec } from "./mapping.js";

/** Run options a preset may need: most shop exports have no absolute URLs and no currency. */
export interface PresetOptions {
  /** Store base URL (`https://shop.example`): product URLs are built from handles / url keys. */
  baseUrl?: string | undefined;
  /** Base URL of product images when the export has relative paths (Magento `base_image`). */
  mediaBaseUrl?: string | undefined;
  /** Currency for layouts that do not state one (Shopify, WooCommerce, Magento). */
  currency?: string | undefined;
}

/**
 * A record that is accounted for but is not a product (a Shopify image-only row, a WooCommerce
 * variable parent without a price, a Magento configurable parent). Counted in the report as skipped,
 * by code, with examples; never silently dropped.
 */
export class Skip {
  constructor(
    readonly code: string,
    readonly message: string,
    readonly sku?: string | undefined,
  ) {}
}

/**
 * A record that holds several products (a ShoppingFeed product with `<variations>`, a Zboží.cz
 * SHOPITEM with `<VARIANT>`s): the record itself is counted as skipped (`skip` says why) and each
 * item is mapped and checked as a product of its own, at the record's line.
 */
export class Expand {
  constructor(
    readonly skip: Skip,
    readonly items: readonly Fields[],
  ) {}
}

/**
 * A per-run, stateful step before the mapping. Returns the record's fields (possibly a new object
 * with inherited values), a Skip, or an Expand. It may push issues (e.g. a variation whose parent
 * was not seen).
 */
export type Prepare = (fields: Fields, issues: Issue[]) => Fields | Skip | Expand;

export interface Signature {
  /** Each group: at least one of these names must be present for the preset to be considered. */
  required: readonly (readonly string[])[];
  /** Names typical of the layout, with a weight; the highest total wins. */
  columns: Readonly<Record<string, number>>;
}

export interface Preset {
  name: string;
  title: string;
  signature: Signature;
  mapping(options: PresetOptions): MappingSpec;
  /** A new hook per run (state must not leak between runs). */
  prepare?: ((options: PresetOptions) => Prepare) | undefined;
  /** Options without which this layout cannot give complete products (for hints in the summary). */
  needs?: { baseUrl?: boolean; currency?: boolean } | undefined;
  /** Validator options this layout implies (`15.00 USD` prices, HTML descriptions). */
  validate?:
    { priceWithCurrency?: boolean | undefined; stripHtmlDescription?: boolean | undefined } | undefined;
  /** Memory the hook keeps, for the docs and the report. */
  memory?: string | undefined;
}

/** Join a base URL and a path with exactly one slash. */
export function joinUrl(base: string, path: string): string {
  if (/^https?:\/\//i.test(path)) return path;
  return `${base.replace(/\/+$/, "")}/${path.replace(/^\/+/, "")}`;
}
