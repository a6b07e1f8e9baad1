/**
 * Mapping: presets for common shop and network layouts, mapping files for everything else, and
 * the record mapper the pipeline runs (hook → declarative mapping → candidate product fields).
 */
import type { Fields, Issue } from "../src/core/record.js";
import { PLAIN_FIELDS, type PlainSources } from "../src/core/plain-text.js";
import {
  type Candidate,
  compileMapping,
  type Mapper,
  makeResolver,
  type MappingSpec,
  sourceNames,
} from "./mapping.js";
import type { LoadedMapping } from "./mapping-file.js";
import { Expand, joinUrl, type Prepare, type Preset, type PresetOptions, Skip } from "./preset.js";

export {
  type AbsentSource,
  absentSources,
  type Candidate,
  compileField,
  compileMapping,
  type FieldSpec,
  isProductField,
  type Mapper,
  type MappingOptions,
  type MappingSpec,
  type ProductField,
} from "./mapping.js";
export { type LoadedMapping, loadMappingFile, mappingFileSchema, parseMapping } from "./mapping-file.js";
export {
  Expand,
  joinUrl,
  type Prepare,
  type Preset,
  type PresetOptions,
  type Signature,
  Skip,
} from "./preset.js";
export {
  type Detection,
  detectPreset,
  getPreset,
  layoutUnknown,
  PRESET_NAMES,
  PRESETS,
} from "./presets/index.js";
export { checkTemplate, compileTemplate } from "./template.js";
export {
  type FieldCandidate,
  INFER_SAMPLE,
  type InferredField,
  type InferredMapping,
  inferMapping,
  asLoadedMapping,
  inferredReport,
  mappingScaffold,
  sampleRecords,
  MIN_CONFIDENCE,
} from "./infer/index.js";
export { categoryPath, jsonValue, listItems, parseMoney } from "./cells.js";
export {
  checkTransform,
  compileTransform,
  compileTransforms,
  localeUsesDecimalComma,
  parseLocaleNumber,
  splitPrice,
  TRANSFORM_NAMES,
  type TransformSpec,
} from "./transforms.js";
export { compilePath, isBlankRecord, isValidPath, toValue, type Value } from "./value.js";

/** A record that holds several products: it is skipped, and each item is a product. */
export interface Expanded {
  skip: Skip;
  /** `issues`: what the mapping found in that item alone (see Mapper), when anything. */
  items: { fields: Fields; candidate: Candidate; issues?: Issue[] | undefined }[];
}

/** Maps one record (fields after the reader) to candidate product fields, a Skip, or several products. */
export type RecordMapper = (fields: Fields, issues: Issue[]) => Candidate | Skip | Expanded;

/** The mapping a run uses: the preset's, the file's, or the preset's with the file's fields over it. */
function runSpec(
  preset: Preset | undefined,
  mapping: LoadedMapping | undefined,
  options: PresetOptions,
): MappingSpec {
  if (preset && mapping) return { fields: { ...preset.mapping(options).fields, ...mapping.spec.fields } };
  if (mapping) return mapping.spec;
  if (preset) return preset.mapping(options);
  throw new Error("createRecordMapper needs a preset or a mapping");
}

/**
 * For the reader thread's plain-text marks (src/formats/plain-marks.ts): for each of PLAIN_FIELDS,
 * the source keys (resolved against `keys` as the mapper resolves them) when the run's mapper
 * takes that field's value from them as it is: a key or a list of keys, simple names (no path
 * into nested values), no transforms, and no preset hook that could change the record first.
 * Undefined when no field qualifies.
 */
export function plainSources(
  preset: Preset | undefined,
  mapping: LoadedMapping | undefined,
  options: PresetOptions,
  keys: Iterable<string> | undefined,
): PlainSources | undefined {
  if (preset?.prepare !== undefined) return undefined;
  const spec = runSpec(preset, mapping, options);
  const resolve = makeResolver(keys);
  let any = false;
  const sources = PLAIN_FIELDS.map((field) => {
    const s = spec.fields[field];
    let from: string | readonly string[] | undefined;
    if (typeof s === "string" || Array.isArray(s)) from = s as string | readonly string[];
    else if (s !== undefined && typeof s === "object" && "from" in s && !(s.transforms?.length ?? 0))
      from = s.from;
    if (from === undefined) return undefined;
    const names = (typeof from === "string" ? [from] : from).map(resolve);
    // A path (`a.b`, `x[0]`, `@attr`) may read into a nested value instead of a key's own.
    if (names.some((n) => PATH_CHARS.test(n))) return undefined;
    any = true;
    return names;
  });
  return any ? sources : undefined;
}

const PATH_CHARS = /[.[/@]/;

/**
 * Build the mapper for one run. With a mapping file that names a preset, the file's fields override
 * the preset's and the preset's hook still runs. `keys` (header or first record's names) lets source
 * names match case-insensitively.
 */
export function createRecordMapper(
  preset: Preset | undefined,
  mapping: LoadedMapping | undefined,
  options: PresetOptions,
  keys: Iterable<string> | undefined,
): RecordMapper {
  // Without a preset, the run's currency is filled in by the mapping itself, so that a price text
  // in another currency (`€10.00` through the `number` transform) is compared with it.
  const spec = runSpec(preset, mapping, options);
  const header = keys === undefined ? undefined : [...keys];
  const compiled = compileMapping(spec, header, preset ? undefined : options.currency);
  // Without a preset, the run options (flags, else the file's `options`) fill in what a layout does
  // not state, as a preset does: absolute URLs from relative paths (the currency: compileMapping).
  const map = preset ? compiled : withRunOptions(compiled, options);
  const prepare: Prepare | undefined = preset?.prepare?.(options);
  const aliases = preset && header ? presetAliases(preset, spec, header) : undefined;
  const alias = aliases ? (fields: Fields) => withAliases(fields, aliases) : (fields: Fields) => fields;
  if (!prepare) return (fields, issues) => map(alias(fields), issues);
  return (fields, issues) => {
    const prepared = prepare(alias(fields), issues);
    if (prepared instanceof Skip) return prepared;
    if (prepared instanceof Expand)
      return { skip: prepared.skip, items: prepared.items.map(expandItem(map)) };
    return map(prepared, issues);
  };
}

/** A column name as spreadsheets vary it: case, spaces, underscores and hyphens aside. */
function looseName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]+/g, "");
}

/**
 * The header's spellings of the names a preset knows, where they differ (`PRICE`, `Sale_Price`,
 * `image link` for `price`, `sale_price`, `image_link`): [preset name, header key] pairs. Preset
 * hooks and computed fields read their columns by the preset's own spelling, so a record gets
 * those names too (`withAliases`); a name the header has as written is left alone.
 */
export function presetAliases(
  preset: Preset,
  spec: MappingSpec,
  keys: Iterable<string>,
): [string, string][] | undefined {
  const known = new Set<string>([
    ...Object.keys(preset.signature.columns),
    ...preset.signature.required.flat(),
  ]);
  for (const s of Object.values(spec.fields)) for (const n of sourceNames(s) ?? []) known.add(n);
  const header = [...keys];
  const exact = new Set(header);
  const byLoose = new Map<string, string>();
  for (const k of header) {
    const l = looseName(k);
    if (!byLoose.has(l)) byLoose.set(l, k);
  }
  const pairs: [string, string][] = [];
  for (const name of known) {
    if (exact.has(name)) continue;
    const actual = byLoose.get(looseName(name));
    if (actual !== undefined) pairs.push([name, actual]);
  }
  return pairs.length > 0 ? pairs : undefined;
}

/** The record with the preset's spellings of its columns beside the header's (see presetAliases). */
function withAliases(fields: Fields, aliases: readonly [string, string][]): Fields {
  const out: Fields = { ...fields };
  for (const [name, actual] of aliases)
    if (out[name] === undefined && actual in fields) out[name] = fields[actual]!;
  return out;
}

/** One item of an Expand, mapped with issues of its own (not its siblings'). */
function expandItem(map: Mapper): (fields: Fields) => Expanded["items"][number] {
  return (fields) => {
    const own: Issue[] = [];
    const candidate = map(fields, own);
    return own.length === 0 ? { fields, candidate } : { fields, candidate, issues: own };
  };
}

const ABSOLUTE = /^[a-z][a-z0-9+.-]*:/i;

function absolute(v: string | number, base: string | undefined): string | number {
  if (base === undefined || typeof v !== "string" || ABSOLUTE.test(v)) return v;
  if (v.startsWith("//")) return `${/^http:/i.test(base) ? "http:" : "https:"}${v}`;
  return joinUrl(base, v);
}

/** Base URLs for a mapping without a preset (its currency default is compileMapping's). */
function withRunOptions(map: Mapper, o: PresetOptions): Mapper {
  const { baseUrl } = o;
  const mediaBase = o.mediaBaseUrl ?? baseUrl;
  if (baseUrl === undefined && mediaBase === undefined) return map;
  return (fields, issues) => {
    const c = map(fields, issues);
    if (c.url !== undefined) c.url = absolute(c.url, baseUrl);
    if (c.image !== undefined) c.image = absolute(c.image, mediaBase);
    return c;
  };
}

/** Whether a mapper's result is several products (see Expand). */
export function isExpanded(x: Candidate | Expanded): x is Expanded {
  return Array.isArray((x as Expanded).items) && (x as Expanded).skip instanceof Skip;
}
