/**
 * Run report: counts of records by outcome and of issues by rule, with the first examples of each
 * (line, SKU, field, message), so a user can open the feed at the right place.
 *
 * Accounting: every record a reader yields is counted exactly once, as valid, invalid, or skipped
 * (a row the preset recognises as not a product: a Shopify image-only row, a WooCommerce variable
 * parent without a price, a Magento configurable parent). `records = valid + invalid` always, and
 * `read = records + skipped`.
 * Blank rows are counted apart (`blankRows`) and are not records.
 */
import type { Issue, Origin, Severity } from "./record.js";
import { inlineText } from "./terminal-text.js";

export const MAX_EXAMPLES = 5;

export interface RuleExample {
  line?: number | undefined;
  index: number;
  sku?: string | undefined;
  field?: string | undefined;
  message: string;
}

export interface RuleSummary {
  code: string;
  severity: Severity;
  count: number;
  examples: RuleExample[];
}

/** Records that are not products, by reason. */
export interface SkipSummary {
  code: string;
  count: number;
  examples: RuleExample[];
}

export interface RunReport {
  source: string;
  format: string;
  /** The preset used, or `mapping:<file>`. */
  preset: string;
  /** How the preset was chosen (`inferred`: no preset matched, the mapping was inferred). */
  presetChosen: "auto" | "option" | "mapping" | "inferred" | "none";
  /** The inferred mapping, when `presetChosen` is `inferred`: nothing is inferred silently. */
  mapping?: InferredMappingReport | undefined;
  /** Every record read (blank rows excluded): records + skipped. */
  read: number;
  /** Product records: valid + invalid (always). */
  records: number;
  valid: number;
  invalid: number;
  /** Records that are not products (see `skips` for why); 0 unless the preset recognises such rows. */
  skipped: number;
  /** Warning issues in all records (valid or not). */
  warnings: number;
  /** Records with at least one warning. */
  recordsWithWarnings: number;
  blankRows: number;
  /** Issue counts by rule: errors first, then by count. */
  rules: RuleSummary[];
  skips: SkipSummary[];
  /** Advice derived from the counts (e.g. "pass --base-url"). */
  hints: string[];
}

/** One inferred product field: its source column (or XML path) and how sure the guess is. */
export interface InferredFieldReport {
  field: string;
  source: string;
  /** 0..1 */
  confidence: number;
  transforms: unknown[];
  /** Runner-up sources. */
  candidates: { source: string; confidence: number }[];
}

export interface InferredMappingReport {
  /** Records the inference looked at. */
  sampled: number;
  fields: InferredFieldReport[];
  /** No column holds the currency, but the price texts do (`$269.99`, `269,99 €`). */
  currencyFromPrice?: { source: string; codes: string[] } | undefined;
  /** Required fields that no column fits (their records fail REQUIRED_MISSING). */
  unmapped: string[];
  /** What to do about the unmapped fields, once for the run. */
  notes: string[];
}

/** What the report needs of a checked record. */
export interface ReportedRecord extends Origin {
  sku: string | undefined;
  product: unknown;
  issues: Issue[];
}

interface Acc {
  code: string;
  severity: Severity;
  count: number;
  examples: RuleExample[];
}

/** Accumulates a RunReport; `snapshot()` can be taken at any time (final once input is drained). */
export class ReportBuilder {
  private readonly rules = new Map<string, Acc>();
  private readonly skipMap = new Map<string, Acc>();
  private readonly missing = new Map<string, number>();
  private valid = 0;
  private invalid = 0;
  private skipped = 0;
  private warnings = 0;
  private withWarnings = 0;
  private blank = 0;
  private readonly hintFns: ((r: RunReport, missing: ReadonlyMap<string, number>) => string | undefined)[] =
    [];

  constructor(
    readonly meta: {
      source: string;
      format: string;
      preset: string;
      presetChosen: RunReport["presetChosen"];
      mapping?: InferredMappingReport | undefined;
    },
    private readonly maxExamples = MAX_EXAMPLES,
  ) {}

  /** Count one checked record (valid iff it has a product). */
  add(rec: ReportedRecord): void {
    if (rec.product !== undefined) this.valid++;
    else this.invalid++;
    const issues = rec.issues;
    if (issues.length === 0) return;
    let warned = false;
    for (const issue of issues) {
      if (issue.severity === "warning") {
        this.warnings++;
        warned = true;
      }
      if (issue.code === "REQUIRED_MISSING" && issue.field !== undefined) {
        this.missing.set(issue.field, (this.missing.get(issue.field) ?? 0) + 1);
      }
      let acc = this.rules.get(issue.code);
      if (acc === undefined) {
        acc = { code: issue.code, severity: issue.severity, count: 0, examples: [] };
        this.rules.set(issue.code, acc);
      }
      acc.count++;
      if (acc.examples.length < this.maxExamples) {
        acc.examples.push(example(rec, rec.sku, issue.field, issue.message));
      }
    }
    if (warned) this.withWarnings++;
  }

  /** Count a record that is not a product. */
  skip(origin: Origin, code: string, message: string, sku?: string | undefined): void {
    this.skipped++;
    let acc = this.skipMap.get(code);
    if (acc === undefined) {
      acc = { code, severity: "warning", count: 0, examples: [] };
      this.skipMap.set(code, acc);
    }
    acc.count++;
    if (acc.examples.length < this.maxExamples) acc.examples.push(example(origin, sku, undefined, message));
  }

  addBlankRows(n: number): void {
    this.blank += n;
  }

  /** Add a hint rule evaluated at snapshot time. */
  hint(fn: (r: RunReport, missing: ReadonlyMap<string, number>) => string | undefined): void {
    this.hintFns.push(fn);
  }

  snapshot(): RunReport {
    const rules = [...this.rules.values()]
      .sort((a, b) => (a.severity === b.severity ? b.count - a.count : a.severity === "error" ? -1 : 1))
      .map((a) => ({ code: a.code, severity: a.severity, count: a.count, examples: [...a.examples] }));
    const skips = [...this.skipMap.values()]
      .sort((a, b) => b.count - a.count)
      .map((a) => ({ code: a.code, count: a.count, examples: [...a.examples] }));
    const report: RunReport = {
      ...this.meta,
      read: this.valid + this.invalid + this.skipped,
      records: this.valid + this.invalid,
      valid: this.valid,
      invalid: this.invalid,
      skipped: this.skipped,
      warnings: this.warnings,
      recordsWithWarnings: this.withWarnings,
      blankRows: this.blank,
      rules,
      skips,
      hints: [],
    };
    for (const fn of this.hintFns) {
      const h = fn(report, this.missing);
      if (h !== undefined) report.hints.push(h);
    }
    return report;
  }
}

function example(
  o: Origin,
  sku: string | undefined,
  field: string | undefined,
  message: string,
): RuleExample {
  const e: RuleExample = { index: o.index, message };
  if (o.line !== undefined) e.line = o.line;
  if (sku !== undefined) e.sku = sku;
  if (field !== undefined) e.field = field;
  return e;
}

/** `line 12` / `record 7`: where an example is. */
export function placeOf(e: { line?: number | undefined; index: number }): string {
  return e.line !== undefined ? `line ${e.line}` : `record ${e.index}`;
}

export interface TextReportOptions {
  /** Examples shown per rule in the table (JSON reports carry all kept examples). */
  examples?: number | undefined;
  /** Title line, e.g. `validate catalog.csv`. */
  title?: string | undefined;
  /** Extra facts for the header (format details, output path, ...). */
  details?: string[] | undefined;
}

function pad(s: string, n: number): string {
  return s.length >= n ? s : s + " ".repeat(n - s.length);
}

function padLeft(s: string, n: number): string {
  return s.length >= n ? s : " ".repeat(n - s.length) + s;
}

function oneLine(s: string, max = 160): string {
  const t = s.replace(/\s+/g, " ");
  return t.length > max ? `${t.slice(0, max - 1)}…` : t;
}

/** The human summary: counts, then a table of rules with their first examples, then hints. */
export function formatReportText(r: RunReport, options: TextReportOptions = {}): string {
  const perRule = options.examples ?? 3;
  const lines: string[] = [];
  const chosen = r.presetChosen === "auto" ? " (detected)" : "";
  lines.push(options.title ?? r.source);
  lines.push(`  format        ${r.format}`);
  lines.push(`  preset        ${r.preset}${chosen}`);
  if (r.mapping) lines.push(...inferredLines(r.mapping));
  for (const d of options.details ?? []) lines.push(`  ${d}`);
  const n = (x: number) => padLeft(String(x), String(r.read).length);
  lines.push(`  records read  ${n(r.read)}`);
  if (r.skipped > 0) lines.push(`  skipped       ${n(r.skipped)}  (not products, see below)`);
  if (r.skipped > 0) lines.push(`  products      ${n(r.records)}`);
  lines.push(`  valid         ${n(r.valid)}`);
  lines.push(`  rejected      ${n(r.invalid)}`);
  lines.push(
    `  warnings      ${n(r.warnings)}${r.warnings > 0 ? `  (in ${r.recordsWithWarnings} records)` : ""}`,
  );
  if (r.blankRows > 0) lines.push(`  blank rows    ${n(r.blankRows)}  (skipped, not records)`);
  if (r.rules.length > 0) {
    lines.push("");
    const codeW = Math.max(4, ...r.rules.map((x) => x.code.length));
    const countW = Math.max(5, ...r.rules.map((x) => String(x.count).length));
    lines.push(`  ${pad("rule", codeW)}  severity  ${padLeft("count", countW)}  first examples`);
    for (const rule of r.rules) {
      const head = `  ${pad(rule.code, codeW)}  ${pad(rule.severity, 8)}  ${padLeft(String(rule.count), countW)}  `;
      const indent = " ".repeat(head.length);
      const ex = rule.examples.slice(0, perRule);
      if (ex.length === 0) lines.push(head.trimEnd());
      ex.forEach((e, i) => {
        const sku = e.sku !== undefined ? ` sku ${oneLine(e.sku, 80)}` : "";
        lines.push(`${i === 0 ? head : indent}${placeOf(e)}${sku}: ${oneLine(e.message)}`);
      });
    }
  }
  if (r.skips.length > 0) {
    lines.push("");
    lines.push("  not products (counted as skipped):");
    for (const s of r.skips) {
      const e = s.examples[0];
      const first = e ? ` e.g. ${placeOf(e)}: ${oneLine(e.message)}` : "";
      lines.push(`    ${s.code} ${s.count}${first}`);
    }
  }
  if (r.hints.length > 0) {
    lines.push("");
    for (const h of r.hints) lines.push(`  hint: ${inlineText(h)}`);
  }
  return `${lines.join("\n")}\n`;
}

/** The inferred mapping in the text summary: each field with its source and confidence. */
function inferredLines(m: InferredMappingReport): string[] {
  const lines = [`  mapping       inferred from the first ${m.sampled} records (confidence 0-1):`];
  const w = Math.max(...m.fields.map((f) => f.field.length), 8);
  for (const f of m.fields) {
    const tf = f.transforms.length > 0 ? `  (${f.transforms.map((t) => JSON.stringify(t)).join(", ")})` : "";
    lines.push(`    ${pad(f.field, w)}  ${f.confidence.toFixed(2)}  ← ${inlineText(f.source)}${tf}`);
  }
  if (m.currencyFromPrice) {
    lines.push(
      `    ${pad("currency", w)}  from the price text of ${inlineText(m.currencyFromPrice.source)} (${m.currencyFromPrice.codes.join(", ")})`,
    );
  }
  for (const f of m.unmapped) lines.push(`    ${pad(f, w)}  not mapped: no column fits`);
  for (const n of m.notes) lines.push(`  ${inlineText(n)}`);
  return lines;
}
