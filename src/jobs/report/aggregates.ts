/**
 * Streaming aggregates for the feed report: one `add(batch)` per batch of checked records, bounded
 * memory at any feed size (fixed price buckets, bounded top-k counters, capped examples):
 *
 *   fill rate per product field   records whose mapped value for the field is not empty
 *   prices per currency           fixed 1-2-5 histogram, min / max / mean (valid products)
 *   top brands, categories,       space-saving counters (see ./topk.ts), all mapped records
 *   availability
 *   issues by field               errors and warnings per field (at most MAX_FIELDS fields)
 *   example problems              at most `maxExamples`, at most `perRule` per rule, values cut
 *
 * Issues by rule come from the run report itself (RunReport.rules), which counts them exactly.
 */
import { PRODUCT_FIELDS } from "../../../schemas/product.js";
import type { CheckedRecord } from "../../jobs/pipeline.js";
import { PriceHistogram, type PriceSummary, TopK, type TopSummary } from "./topk.js";

export const DEFAULT_MAX_EXAMPLES = 1000;
export const DEFAULT_EXAMPLES_PER_RULE = 100;
/** Distinct issue fields tracked; more are counted under "(other)". */
export const MAX_FIELDS = 64;
/** Currencies with their own histogram; more are counted under "(other)". */
export const MAX_CURRENCIES = 32;
export const MAX_VALUE_LENGTH = 200;
export const MAX_MESSAGE_LENGTH = 500;

export interface ProblemExample {
  rule: string;
  severity: "error" | "warning";
  line?: number | undefined;
  index: number;
  sku?: string | undefined;
  field?: string | undefined;
  value?: string | undefined;
  message: string;
}

export interface FieldIssues {
  field: string;
  errors: number;
  warnings: number;
}

export interface Aggregates {
  /** Records the aggregates saw (valid + invalid). */
  records: number;
  fill: { field: string; filled: number }[];
  prices: PriceSummary[];
  /** Valid products whose currency did not get its own histogram (over MAX_CURRENCIES). */
  pricesOther: number;
  brands: TopSummary;
  categories: TopSummary;
  availability: TopSummary;
  issuesByField: FieldIssues[];
  examples: ProblemExample[];
  /** Problems seen in all (issues), of which `examples` keeps the first ones per rule. */
  examplesSeen: number;
  examplesCap: { total: number; perRule: number };
}

export interface AggregatesOptions {
  maxExamples?: number | undefined;
  examplesPerRule?: number | undefined;
  topCapacity?: number | undefined;
}

function cut(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

function valueText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v === "string") return cut(v, MAX_VALUE_LENGTH);
  if (typeof v === "number" || typeof v === "boolean") return String(v);
  try {
    return cut(JSON.stringify(v) ?? String(v), MAX_VALUE_LENGTH);
  } catch {
    return undefined;
  }
}

function present(v: string | number | undefined): boolean {
  return v !== undefined && (typeof v === "number" || v.trim() !== "");
}

export class FeedAggregates {
  private records = 0;
  /** Per PRODUCT_FIELDS index. */
  private readonly filled: number[] = PRODUCT_FIELDS.map(() => 0);
  private readonly prices = new Map<string, PriceHistogram>();
  private pricesOther = 0;
  private readonly brands: TopK;
  private readonly categories: TopK;
  private readonly availability: TopK;
  private readonly byField = new Map<string, FieldIssues>();
  private readonly examples: ProblemExample[] = [];
  private readonly perRuleKept = new Map<string, number>();
  private examplesSeen = 0;
  private readonly maxExamples: number;
  private readonly perRule: number;

  constructor(options: AggregatesOptions = {}) {
    this.maxExamples = options.maxExamples ?? DEFAULT_MAX_EXAMPLES;
    this.perRule = options.examplesPerRule ?? DEFAULT_EXAMPLES_PER_RULE;
    const cap = options.topCapacity;
    this.brands = new TopK(cap);
    this.categories = new TopK(cap);
    this.availability = new TopK(cap);
  }

  /** Count one batch of checked records (the observer call: once per batch). */
  add(batch: readonly CheckedRecord[]): void {
    for (let i = 0; i < batch.length; i++) this.addRecord(batch[i]!);
  }

  private addRecord(c: CheckedRecord): void {
    this.records++;
    const p = c.product;
    const m = p ?? c.mapped;
    if (m !== undefined) {
      for (let i = 0; i < PRODUCT_FIELDS.length; i++) {
        if (present(m[PRODUCT_FIELDS[i]!])) this.filled[i]!++;
      }
      // Product values are normalised already; mapped ones (rejected records) are trimmed here.
      const text = (v: string | number | undefined): string | undefined =>
        v === undefined || !present(v) ? undefined : p !== undefined ? String(v) : String(v).trim();
      const brand = text(m.brand);
      if (brand !== undefined) this.brands.add(brand);
      const category = text(m.category);
      if (category !== undefined) this.categories.add(category);
      this.availability.add(text(m.availability) ?? "(not given)");
    }
    if (p !== undefined) {
      let h = this.prices.get(p.currency);
      if (h === undefined && this.prices.size < MAX_CURRENCIES) {
        h = new PriceHistogram(p.currency);
        this.prices.set(p.currency, h);
      }
      if (h !== undefined) h.add(p.price);
      else this.pricesOther++;
    }
    for (const issue of c.issues) {
      const field = issue.field ?? "(record)";
      let fi = this.byField.get(field);
      if (fi === undefined) {
        const key = this.byField.size < MAX_FIELDS ? field : "(other)";
        fi = this.byField.get(key);
        if (fi === undefined) {
          fi = { field: key, errors: 0, warnings: 0 };
          this.byField.set(key, fi);
        }
      }
      if (issue.severity === "error") fi.errors++;
      else fi.warnings++;
      this.examplesSeen++;
      if (this.examples.length >= this.maxExamples) continue;
      const kept = this.perRuleKept.get(issue.code) ?? 0;
      if (kept >= this.perRule) continue;
      this.perRuleKept.set(issue.code, kept + 1);
      const e: ProblemExample = {
        rule: issue.code,
        severity: issue.severity,
        index: c.index,
        message: cut(issue.message, MAX_MESSAGE_LENGTH),
      };
      if (c.line !== undefined) e.line = c.line;
      if (c.sku !== undefined) e.sku = cut(c.sku, MAX_VALUE_LENGTH);
      if (issue.field !== undefined) e.field = issue.field;
      const v = valueText(issue.value);
      if (v !== undefined) e.value = v;
      this.examples.push(e);
    }
  }

  snapshot(): Aggregates {
    return {
      records: this.records,
      fill: PRODUCT_FIELDS.map((field, i) => ({ field, filled: this.filled[i]! })),
      prices: [...this.prices.values()].map((h) => h.summary()).sort((a, b) => b.count - a.count),
      pricesOther: this.pricesOther,
      brands: this.brands.summary(10),
      categories: this.categories.summary(10),
      availability: this.availability.summary(10),
      issuesByField: [...this.byField.values()]
        .map((f) => ({ ...f }))
        .sort((a, b) => b.errors + b.warnings - (a.errors + a.warnings)),
      examples: this.examples.map((e) => ({ ...e })),
      examplesSeen: this.examplesSeen,
      examplesCap: { total: this.maxExamples, perRule: this.perRule },
    };
  }
}
