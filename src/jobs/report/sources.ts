/**
 * Where each product field came from in a run: the preset's or mapping file's field spec, told as
 * text ("Variant SKU", "Title → trim, strip_html", "const Acme", "template {Handle}-{Option1}").
 */
import { PRODUCT_FIELDS } from "../../../schemas/product.js";
import type { Pipeline } from "../../jobs/pipeline.js";
import { type FieldSpec, getPreset, type MappingSpec } from "../../../transforms/index.js";

export interface FieldSource {
  field: string;
  source: string;
}

function transformNames(ts: readonly unknown[] | undefined): string {
  if (!ts || ts.length === 0) return "";
  const names = ts.map((t) => (typeof t === "string" ? t : (Object.keys(t as object)[0] ?? "?")));
  return ` → ${names.join(", ")}`;
}

function describe(spec: FieldSpec): string {
  if (typeof spec === "string") return spec;
  if (Array.isArray(spec)) return (spec as readonly string[]).join(" | ");
  const s = spec as Exclude<FieldSpec, string | readonly string[]>;
  const t = transformNames(s.transforms as readonly unknown[] | undefined);
  if ("from" in s) return `${typeof s.from === "string" ? s.from : s.from.join(" | ")}${t}`;
  if ("const" in s) return `const ${JSON.stringify(s.const)}${t}`;
  if ("template" in s) return `template ${s.template}${t}`;
  return `computed by the preset${t}`;
}

/** The field sources of the spec a run used (`preset` is ProcessedFeed.preset). */
export function fieldSources(pipeline: Pipeline, preset: string): FieldSource[] {
  const mapping = pipeline.mapping;
  let base: string | undefined;
  if (mapping)
    base = mapping.preset ?? (pipeline.options.preset !== "auto" ? pipeline.options.preset : undefined);
  else if (preset !== "none") base = preset;
  let spec: MappingSpec["fields"] = {};
  try {
    if (base) spec = { ...getPreset(base).mapping(pipeline.options.presetOptions).fields };
  } catch {
    spec = {};
  }
  if (mapping) spec = { ...spec, ...mapping.spec.fields };
  const out: FieldSource[] = [];
  for (const field of PRODUCT_FIELDS) {
    const s = spec[field];
    if (s !== undefined) out.push({ field, source: describe(s) });
  }
  return out;
}
