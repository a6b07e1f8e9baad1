/**
 * The map + validate stage: SourceRecord batches in, CheckedRecord batches out, with a run report.
 *
 *   feed.records ─► [reader problem? → invalid] ─► preset hook (inheritance, not-a-product rows)
 *                ─► mapping (preset or mapping file) ─► compiled validator ─► duplicate SKU check
 *
 * Everything per record is a synchronous loop over a batch (no per-record async or stream hops).
 * Every record is accounted for: `records = valid + invalid` and `read = records + skipped`
 * (skipped only for rows a preset recognises as not products; they are counted by reason in the
 * report, not yielded). See src/core/report.ts.
 *
 * Memory: the duplicate check keeps every SKU seen in a CompactStringSet (exact, about 20 bytes per
 * 12-character SKU: 48.6 MiB for 2.55 million, where a Set<string> took ~150 MB). Preset hooks keep what their docs say (Shopify: one product's
 * first row; WooCommerce / Magento: parent fields, O(parents)).
 */
import { z } from "zod";
import { isCurrencyCode } from "../../schemas/normalize.js";
import { PRODUCT_FIELDS, type Product } from "../../schemas/product.js";
import { compileValidator } from "../../schemas/validate.js";
import {
  absentSources,
  type Candidate,
  createRecordMapper,
  plainSources,
  type Expanded,
  detectPreset,
  getPreset,
  INFER_SAMPLE,
  asLoadedMapping,
  type InferredMapping,
  inferMapping,
  inferredReport,
  isBlankRecord,
  isExpanded,
  type LoadedMapping,
  layoutUnknown,
  loadMappingFile,
  type Preset,
  type PresetOptions,
  type RecordMapper,
  sampleRecords,
  Skip,
} from "../../transforms/index.js";
import type { Feed } from "../formats/index.js";
import type { RepeatedColumn } from "../formats/reader.js";
import { FeedpipeError } from "../core/errors.js";
import type { Fields, Issue, RecordBatch, SourceRecord } from "../core/record.js";
import { ReportBuilder, type RunReport } from "../core/report.js";
import { CompactStringSet } from "../core/sku-set.js";

export type { RuleExample, RuleSummary, RunReport, SkipSummary } from "../core/report.js";

export interface PipelineOptions {
  /** Preset name or "auto" (default). */
  preset?: string | undefined;
  /**
   * Path of a JSON/YAML mapping file. It wins over the preset's fields; the preset it names (or an
   * explicit `preset`) is extended: its other fields and its per-record hook still apply.
   */
  mapping?: string | undefined;
  /** Prices are written `1.234,56`. */
  decimalComma?: boolean | undefined;
  /** Prices carry their currency code (`15.00 USD`, `EUR 12,50`): read both from the price. */
  priceWithCurrency?: boolean | undefined;
  /** DUPLICATE_SKU detection (default true). */
  dedupe?: boolean | undefined;
  /** Store base URL for layouts without product URLs (Shopify, WooCommerce, Magento). */
  baseUrl?: string | undefined;
  /** Base URL for relative image paths (Magento; default `<baseUrl>/media/catalog/product`). */
  mediaBaseUrl?: string | undefined;
  /** Currency for layouts that do not state one (Shopify, WooCommerce, Magento), e.g. EUR. */
  currency?: string | undefined;
}

export interface CheckedRecord {
  source: string;
  index: number;
  line?: number | undefined;
  offset?: number | undefined;
  sku: string | undefined;
  /** Set iff valid (no error-severity issue). */
  product: Product | undefined;
  /** Errors and warnings. */
  issues: Issue[];
  /** The original source fields (for the rejects file). */
  fields: Fields;
  /** Raw text of a record the reader could not parse. */
  raw?: string | undefined;
  /** What the mapping made of the record, before the rules (unset for unreadable records). */
  mapped?: Candidate | undefined;
}

export interface ProcessedFeed {
  /** The preset (or `mapping:<file>`) actually used. */
  preset: string;
  /** Batches of checked records, same order as the source (skipped non-product rows are not yielded). */
  records: AsyncIterable<CheckedRecord[]>;
  /** Counts so far; complete once `records` is drained. */
  report(): RunReport;
}

const urlOption = (name: string) =>
  z
    .string({ error: `Invalid option ${name}: expected an absolute http(s) URL` })
    .refine((s) => /^https?:\/\/[^\s/]+/i.test(s), {
      error: (i) =>
        `Invalid option ${name}: expected an absolute http(s) URL such as https://shop.example, got ${JSON.stringify(i.input)}`,
    });

const optionsSchema = z.strictObject({
  preset: z.string({ error: "Invalid option preset: expected a preset name" }).optional(),
  mapping: z
    .string({ error: "Invalid option mapping: expected a file path" })
    .min(1, "Invalid option mapping: expected a file path")
    .optional(),
  decimalComma: z.boolean({ error: "Invalid option decimalComma: expected true or false" }).optional(),
  priceWithCurrency: z
    .boolean({ error: "Invalid option priceWithCurrency: expected true or false" })
    .optional(),
  dedupe: z.boolean({ error: "Invalid option dedupe: expected true or false" }).optional(),
  baseUrl: urlOption("baseUrl").optional(),
  mediaBaseUrl: urlOption("mediaBaseUrl").optional(),
  currency: z
    .string({ error: "Invalid option currency: expected an ISO 4217 code such as EUR" })
    .refine((c) => isCurrencyCode(c.trim().toUpperCase()), {
      error: (i) =>
        `Invalid option currency: expected an ISO 4217 code such as EUR, got ${JSON.stringify(i.input)}`,
    })
    .optional(),
});

export interface ResolvedPipelineOptions {
  preset: string;
  mapping: string | undefined;
  decimalComma: boolean;
  priceWithCurrency: boolean;
  dedupe: boolean;
  presetOptions: PresetOptions;
}

/** Check options once, before any I/O (INVALID_OPTION / PRESET_UNKNOWN). */
export function resolvePipelineOptions(options: PipelineOptions = {}): ResolvedPipelineOptions {
  const r = optionsSchema.safeParse(options);
  if (!r.success) {
    const i = r.error.issues[0]!;
    const message =
      i.code === "unrecognized_keys"
        ? `Invalid option ${i.keys.join(", ")}: expected one of ${Object.keys(optionsSchema.shape).join(", ")}`
        : i.message;
    throw new FeedpipeError("INVALID_OPTION", message);
  }
  const o = r.data;
  const preset = (o.preset ?? "auto").trim().toLowerCase();
  if (preset !== "auto") getPreset(preset); // PRESET_UNKNOWN before any I/O
  return {
    preset,
    mapping: o.mapping,
    decimalComma: o.decimalComma === true,
    priceWithCurrency: o.priceWithCurrency === true,
    dedupe: o.dedupe !== false,
    presetOptions: {
      baseUrl: o.baseUrl?.replace(/\/+$/, ""),
      mediaBaseUrl: o.mediaBaseUrl?.replace(/\/+$/, ""),
      currency: o.currency?.trim().toUpperCase(),
    },
  };
}

/** A checked configuration, ready to process feeds (one run per `process` call). */
export interface Pipeline {
  readonly options: ResolvedPipelineOptions;
  readonly mapping: LoadedMapping | undefined;
  process(feed: Feed): Promise<ProcessedFeed>;
}

/**
 * Resolve options and load + check the mapping file. Call before opening the input: a bad option
 * or mapping file fails here (INVALID_OPTION, PRESET_UNKNOWN, MAPPING_INVALID, IO_NOT_FOUND).
 */
export async function loadPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const resolved = resolvePipelineOptions(options);
  const mapping = resolved.mapping ? await loadMappingFile(resolved.mapping) : undefined;
  return {
    options: resolved,
    mapping,
    process: (feed) => startRun(feed, resolved, mapping),
  };
}

/** Map and validate a feed. Equivalent to `(await loadPipeline(options)).process(feed)`. */
export async function processFeed(
  feed: Feed,
  options: PipelineOptions | Pipeline = {},
): Promise<ProcessedFeed> {
  const pipeline = isPipeline(options) ? options : await loadPipeline(options);
  return pipeline.process(feed);
}

function isPipeline(x: PipelineOptions | Pipeline): x is Pipeline {
  return typeof (x as Pipeline).process === "function";
}

/** Blank rows the reader skipped, when it reports them (readers attach `stats` to their stream). */
function readerBlankRows(feed: Feed): number {
  const f = feed as Feed & { stats?: { blankRows?: number } };
  const r = feed.records as { stats?: { blankRows?: number } };
  return f.stats?.blankRows ?? r.stats?.blankRows ?? 0;
}

/** Keys of the first record that can tell the layout (CSV: the header). */
function keysOf(rec: SourceRecord): string[] {
  return Object.keys(rec.fields);
}

function skuText(v: string | number | undefined): string | undefined {
  if (v === undefined) return undefined;
  const t = typeof v === "number" ? String(v) : v.trim();
  return t === "" ? undefined : t;
}

interface Chosen {
  name: string;
  chosen: RunReport["presetChosen"];
  preset: Preset | undefined;
  /** Set when no preset matched and the mapping was inferred from the first records. */
  inferred?: InferredMapping | undefined;
}

function choose(
  feed: Feed,
  options: ResolvedPipelineOptions,
  mapping: LoadedMapping | undefined,
  keys: string[] | undefined,
  sample: Fields[],
): Chosen {
  if (mapping) {
    // The file may extend a preset; an explicit --preset is the base when the file names none.
    const base = mapping.preset ?? (options.preset !== "auto" ? options.preset : undefined);
    const preset = base ? getPreset(base) : undefined;
    return { name: `mapping:${mapping.file}`, chosen: "mapping", preset };
  }
  if (options.preset !== "auto")
    return { name: options.preset, chosen: "option", preset: getPreset(options.preset) };
  if (keys === undefined) return { name: "none", chosen: "none", preset: undefined };
  const d = detectPreset(keys);
  if (d) return { name: d.preset.name, chosen: "auto", preset: d.preset };
  const inferred = inferMapping(sample, feed.stats?.columns);
  // Too little fits to call it a product feed: say so instead of guessing.
  if (inferred.fields.length < 3) throw layoutUnknown(feed.name, keys);
  return { name: "inferred", chosen: "inferred", preset: undefined, inferred };
}

async function startRun(
  feed: Feed,
  options: ResolvedPipelineOptions,
  mapping: LoadedMapping | undefined,
): Promise<ProcessedFeed> {
  const it = feed.records[Symbol.asyncIterator]();
  // Read ahead until a clean record shows the layout (usually the first record of the first batch).
  const pending: RecordBatch[] = [];
  let keys: string[] | undefined;
  let ended = false;
  while (keys === undefined) {
    const next = await it.next();
    if (next.done) {
      ended = true;
      break;
    }
    pending.push(next.value);
    const clean = next.value.find((r) => !r.problem && !isBlankRecord(r.fields));
    if (clean) keys = keysOf(clean);
  }

  const layoutKeys = feed.stats?.columns ?? keys;
  let chosen: Chosen;
  try {
    // No preset fits: read a few more records ahead for the inferred mapping.
    const inferring =
      !mapping && options.preset === "auto" && layoutKeys !== undefined && !detectPreset(layoutKeys);
    while (inferring && !ended && sampleRecords(pending, INFER_SAMPLE).length < INFER_SAMPLE) {
      const next = await it.next();
      if (next.done) ended = true;
      else pending.push(next.value);
    }
    chosen = choose(
      feed,
      options,
      mapping,
      layoutKeys,
      inferring ? sampleRecords(pending, INFER_SAMPLE) : [],
    );
  } catch (err) {
    if (!ended) await it.return?.();
    throw err;
  }
  if (chosen.inferred) mapping = asLoadedMapping(chosen.inferred);
  const presetOptions: PresetOptions = { ...options.presetOptions };
  if (mapping) {
    presetOptions.baseUrl ??= mapping.options.baseUrl;
    presetOptions.mediaBaseUrl ??= mapping.options.mediaBaseUrl;
    presetOptions.currency ??= mapping.options.currency;
  }
  const mapper: RecordMapper | undefined =
    chosen.preset || mapping
      ? createRecordMapper(chosen.preset, mapping, presetOptions, layoutKeys)
      : undefined;
  // The reader thread marks values the text rules would leave as they are (src/formats/plain-marks.ts).
  const sources =
    mapper && feed.markPlain ? plainSources(chosen.preset, mapping, presetOptions, layoutKeys) : undefined;
  if (sources) feed.markPlain!(sources);
  const marked = sources !== undefined;
  const validate = compileValidator({
    decimalComma: options.decimalComma || mapping?.options.decimalComma === true,
    priceWithCurrency:
      options.priceWithCurrency ||
      chosen.preset?.validate?.priceWithCurrency === true ||
      mapping?.options.priceWithCurrency === true,
    stripHtmlDescription: chosen.preset?.validate?.stripHtmlDescription === true,
  });

  const report = new ReportBuilder({
    source: feed.name,
    format: describeFormat(feed),
    preset: chosen.name,
    presetChosen: chosen.chosen,
    mapping: chosen.inferred ? inferredReport(chosen.inferred, presetOptions) : undefined,
  });
  addHints(report, chosen.preset, presetOptions);
  if (mapping && !chosen.inferred && feed.stats?.columns) addAbsentHint(report, mapping, feed.stats.columns);
  if (feed.stats?.repeatedColumns) addRepeatedHint(report, feed.stats.repeatedColumns, feed.stats.columns);
  const seen = options.dedupe ? new CompactStringSet() : undefined;
  let blankSeen = 0;

  const check = (batch: RecordBatch): CheckedRecord[] => {
    const out: CheckedRecord[] = [];
    for (let i = 0; i < batch.length; i++) {
      const rec = batch[i]!;
      if (rec.problem) {
        const c = checked(rec, undefined, undefined, [rec.problem]);
        report.add(c);
        out.push(c);
        continue;
      }
      if (isBlankRecord(rec.fields)) {
        blankSeen++;
        continue;
      }
      const issues: Issue[] = [];
      const mapped: Candidate | Skip | Expanded = mapper ? mapper(rec.fields, issues) : {};
      if (mapped instanceof Skip) {
        report.skip(rec, mapped.code, mapped.message, mapped.sku);
        continue;
      }
      if (isExpanded(mapped)) {
        // One record, several products (variations): the record is skipped, each item is a product.
        report.skip(rec, mapped.skip.code, mapped.skip.message, mapped.skip.sku);
        for (const item of mapped.items) {
          const own = item.issues === undefined ? issues.slice() : issues.concat(item.issues);
          const c = finish({ ...rec, fields: item.fields }, item.candidate, own);
          report.add(c);
          out.push(c);
        }
        continue;
      }
      const c = finish(rec, mapped, issues);
      report.add(c);
      out.push(c);
    }
    return out;
  };

  /** Validate one mapped product and check its SKU for duplicates. */
  function finish(rec: SourceRecord, mapped: Candidate, issues: Issue[]): CheckedRecord {
    const v = validate(mapped, marked ? (rec.plain ?? 0) : 0);
    const all = issues.length === 0 ? v.issues : issues.concat(v.issues);
    let product = v.product;
    // An error the mapping found (a price text in another currency) rejects it as the rules' do.
    if (product !== undefined && issues.length > 0 && issues.some(isError)) product = undefined;
    const sku = product?.sku ?? skuText(mapped.sku);
    if (seen !== undefined && sku !== undefined) {
      if (!seen.add(sku)) {
        all.push({
          code: "DUPLICATE_SKU",
          severity: "error",
          field: "sku",
          message: `sku ${sku} appears more than once in this feed (this is a later occurrence)`,
          value: sku,
        });
        product = undefined;
      }
    }
    const c = checked(rec, sku, product, all);
    c.mapped = mapped;
    return c;
  }

  async function* run(): AsyncGenerator<CheckedRecord[]> {
    try {
      for (const b of pending.splice(0)) {
        const out = check(b);
        if (out.length) yield out;
      }
      if (!ended) {
        while (true) {
          const next = await it.next();
          if (next.done) break;
          const out = check(next.value);
          if (out.length) yield out;
        }
      }
    } finally {
      // Early exit by the consumer: let the reader release its source.
      if (!ended) await it.return?.();
    }
  }

  return {
    preset: chosen.name,
    records: run(),
    report: () => {
      const r = report.snapshot();
      r.blankRows = blankSeen + readerBlankRows(feed);
      return r;
    },
  };
}

function isError(issue: Issue): boolean {
  return issue.severity === "error";
}

function checked(
  rec: SourceRecord,
  sku: string | undefined,
  product: Product | undefined,
  issues: Issue[],
): CheckedRecord {
  const c: CheckedRecord = { source: rec.source, index: rec.index, sku, product, issues, fields: rec.fields };
  if (rec.line !== undefined) c.line = rec.line;
  if (rec.offset !== undefined) c.offset = rec.offset;
  if (rec.raw !== undefined) c.raw = rec.raw;
  return c;
}

export function describeFormat(feed: Feed): string {
  const parts: string[] = [feed.format];
  if (feed.format === "csv" && feed.delimiter !== undefined && feed.delimiter !== ",") {
    parts.push(feed.delimiter === "\t" ? "tab-delimited" : `delimiter ${JSON.stringify(feed.delimiter)}`);
  }
  if (feed.format === "xml" && feed.recordTag) parts.push(`<${feed.recordTag}> records`);
  if (feed.format === "json" && feed.jsonPath) parts.push(`array at ${feed.jsonPath}`);
  if (feed.compression && feed.compression !== "none") parts.push(String(feed.compression));
  if (feed.encoding && !/^utf-?8$/i.test(feed.encoding)) parts.push(feed.encoding);
  return parts.length === 1 ? parts[0]! : `${parts[0]} (${parts.slice(1).join(", ")})`;
}

function addHints(report: ReportBuilder, preset: Preset | undefined, o: PresetOptions): void {
  const title = preset?.title ?? "this layout";
  report.hint((_r, missing) => {
    const n = missing.get("url") ?? 0;
    if (n === 0 || o.baseUrl || !preset?.needs?.baseUrl) return undefined;
    return `url is missing in ${n} records: a ${title} has no product URLs; pass --base-url https://your-shop.example`;
  });
  report.hint((_r, missing) => {
    const n = missing.get("currency") ?? 0;
    if (n === 0 || o.currency || !preset?.needs?.currency) return undefined;
    return `currency is missing in ${n} records: a ${title} does not state it; pass --currency EUR (or your store's currency)`;
  });
  report.hint((r) => {
    const n = r.rules
      .find((x) => x.code === "PRICE_INVALID")
      ?.examples.some((e) => /decimal comma/.test(e.message));
    return n ? "prices look like they use a decimal comma (12,50): try --decimal-comma" : undefined;
  });
}

/** A mapping file naming columns the header does not have: say so (not only REQUIRED_MISSING). */
function addAbsentHint(report: ReportBuilder, mapping: LoadedMapping, columns: readonly string[]): void {
  const absent = absentSources(mapping.spec, columns);
  if (absent.length === 0) return;
  const named = absent.map((a) => `${a.field} ← ${a.names.map((n) => JSON.stringify(n)).join(" | ")}`);
  const shown = columns.slice(0, 12).map((c) => JSON.stringify(c));
  const more = columns.length > shown.length ? `, … ${columns.length - shown.length} more` : "";
  const hint =
    `mapping ${mapping.file} names columns the feed does not have: ${named.join(", ")} ` +
    `(its columns: ${shown.join(", ")}${more})`;
  report.hint(() => hint);
}

/**
 * A header naming several columns alike: only the first is read by that name (the value used is
 * not changed here), so say which, and what the others are called, instead of ignoring them.
 */
function addRepeatedHint(
  report: ReportBuilder,
  repeated: readonly RepeatedColumn[],
  columns: readonly string[] | undefined,
): void {
  const list = (items: string[]) =>
    items.length === 1 ? items[0] : `${items.slice(0, -1).join(", ")} and ${items.at(-1)}`;
  const each = repeated.map(({ name, positions }) => {
    const [first, ...rest] = positions;
    const others = rest.map((p) => `column ${p} as ${JSON.stringify(columns?.[p - 1] ?? `col_${p}`)}`);
    return (
      `the header names columns ${list(positions.map(String))} ${JSON.stringify(name)}: ` +
      `column ${first} is the one read as ${JSON.stringify(name)} (${list(others)})`
    );
  });
  const hint = each.join("; ");
  report.hint(() => hint);
}

/** The product as a flat row in PRODUCT_FIELDS order (for writers). */
export function productRow(p: Product): Record<string, string | number | undefined> {
  const row: Record<string, string | number | undefined> = {};
  for (const f of PRODUCT_FIELDS) row[f] = p[f];
  return row;
}
