/**
 * The mapping scaffold (`feedpipe mapping init`): an inferred mapping written as a commented YAML
 * mapping file. Every product field is there: mapped ones with their source, confidence, runner-up
 * candidates and sample values; unmapped ones as comments saying what is missing; and the options
 * the layout needs (currency, base URL). Loading the file gives back exactly the inferred mapping,
 * so `validate --mapping` of it reports what the inference did.
 *
 * Scalars are written as JSON strings, which YAML reads as the same text.
 */
import { PRODUCT_FIELDS, REQUIRED_PRODUCT_FIELDS } from "../../schemas/product.js";
import type { PresetOptions } from "../preset.js";
import type { InferredMapping } from "./infer.js";

export interface ScaffoldInfo {
  /** Source as given (for the header comment). */
  source: string;
  /** `csv (delimiter ";")`, `xml (<o> records)`, ... */
  format: string;
  /** Options to write (from the command line). */
  options: PresetOptions;
}

const q = (s: string) => JSON.stringify(s);

function sample(s: string): string {
  const t = s.replace(/\s+/g, " ");
  return q(t.length > 60 ? `${t.slice(0, 59)}…` : t);
}

const REQUIRED = new Set<string>(REQUIRED_PRODUCT_FIELDS);

/** The commented YAML text of an inferred mapping. */
export function mappingScaffold(m: InferredMapping, info: ScaffoldInfo): string {
  const out: string[] = [
    `# feedpipe mapping for ${info.source} (${info.format}), inferred from its first ${m.sampled} records.`,
    "# Each field names its source: a column, or an XML/JSON path (brand/name, @id, images/image[@type=main]).",
    "# Edit what is wrong, then: feedpipe validate <source> --mapping <this file>",
    "# Transforms: trim, strip_html, price, first, category, json, number, prefix, map, ... (see the README).",
    m.fields.length > 0 ? "fields:" : "fields: {} # no column fits any product field: name the sources below",
  ];
  const byField = new Map(m.fields.map((f) => [f.field, f]));
  for (const field of PRODUCT_FIELDS) {
    const f = byField.get(field);
    const need = REQUIRED.has(field) ? "required" : "optional";
    if (!f) {
      if (field === "currency" && m.currencyFromPrice) {
        out.push(
          `  # currency (${need}): read from the price text of ${q(m.currencyFromPrice.source)} (${m.currencyFromPrice.codes.join(", ")});`,
          "  # name a column here, or set options.currency, to state it otherwise.",
        );
      } else if (field === "currency" && info.options.currency) {
        out.push(`  # currency (${need}): no column holds it; options.currency below fills it in.`);
      } else if (REQUIRED.has(field)) {
        out.push(
          `  # ${field} (required): NOT MAPPED, no column fits. Name its source here, e.g.`,
          `  # ${field}: "Column Name"`,
        );
      } else {
        out.push(`  # ${field} (optional): no column fits.`);
      }
      continue;
    }
    const also = f.candidates.map((c) => `${q(c.source)} (${c.confidence.toFixed(2)})`).join(", ");
    out.push(
      `  # ${field} (${need}): confidence ${f.confidence.toFixed(2)}${also ? `; other candidates: ${also}` : ""}`,
    );
    if (f.samples.length > 0) out.push(`  #   e.g. ${f.samples.map(sample).join(", ")}`);
    if (f.transforms.length === 0) out.push(`  ${field}: ${q(f.source)}`);
    else {
      out.push(`  ${field}:`, `    from: ${q(f.source)}`);
      out.push(`    transforms: [${f.transforms.map((t) => JSON.stringify(t)).join(", ")}]`);
    }
  }
  const opts: string[] = [];
  const { currency, baseUrl } = info.options;
  if (currency) opts.push(`  currency: ${q(currency)}`);
  else if (m.needs.currency) {
    opts.push('  # currency: "EUR"  # needed: no column or price text states the currency');
  }
  if (baseUrl) opts.push(`  baseUrl: ${q(baseUrl)}`);
  else if (m.needs.baseUrl) {
    opts.push(
      '  # baseUrl: "https://your-shop.example"  # needed: the product or image URLs are relative paths',
    );
  }
  if (opts.length > 0) {
    const commented = opts.every((o) => o.trimStart().startsWith("#"));
    out.push(commented ? "# options:  (uncomment what this layout needs)" : "options:", ...opts);
  }
  return `${out.join("\n")}\n`;
}
