/** The inferred mapping: its engine, its place in the run report, and the YAML scaffold. */
import type { Fields, RecordBatch } from "../../src/core/record.js";
import type { InferredMappingReport } from "../../src/core/report.js";
import type { LoadedMapping } from "../mapping-file.js";
import { isBlankRecord } from "../value.js";
import type { PresetOptions } from "../preset.js";
import type { InferredMapping } from "./infer.js";
export { mappingScaffold, type ScaffoldInfo } from "./scaffold.js";

export {
  type FieldCandidate,
  INFER_SAMPLE,
  type InferredField,
  type InferredMapping,
  inferMapping,
  MIN_CONFIDENCE,
} from "./infer.js";

/** The report's view of an inferred mapping, with one note per thing the user must supply. */
export function inferredReport(m: InferredMapping, options: PresetOptions): InferredMappingReport {
  const notes: string[] = [];
  const unmapped = m.unmapped.filter((f) => !(f === "currency" && options.currency !== undefined));
  if (unmapped.length > 0) {
    const fix =
      unmapped.includes("currency") && unmapped.length === 1
        ? "pass --currency EUR (or the shop's currency)"
        : "write a mapping file: feedpipe mapping init <source> -o mapping.yaml, then --mapping mapping.yaml";
    notes.push(
      `not mapped    ${unmapped.join(", ")} (required): no column fits, so every record lacks ${unmapped.length > 1 ? "them" : "it"}; ${fix}`,
    );
  }
  if (m.unmapped.includes("currency") && options.currency !== undefined) {
    notes.push(`currency      ${options.currency} from --currency (no column states it)`);
  }
  if (m.needs.baseUrl && options.baseUrl === undefined) {
    notes.push(
      "relative URLs  the product or image URLs are paths: pass --base-url https://your-shop.example",
    );
  }
  return {
    sampled: m.sampled,
    fields: m.fields.map((f) => ({
      field: f.field,
      source: f.source,
      confidence: f.confidence,
      transforms: f.transforms,
      candidates: f.candidates,
    })),
    currencyFromPrice: m.currencyFromPrice,
    unmapped,
    notes,
  };
}

/** The first clean records of a read-ahead (no reader problem, not blank), for inference. */
export function sampleRecords(batches: readonly RecordBatch[], max: number): Fields[] {
  const out: Fields[] = [];
  for (const b of batches) {
    for (const r of b) {
      if (r.problem || isBlankRecord(r.fields)) continue;
      out.push(r.fields);
      if (out.length >= max) return out;
    }
  }
  return out;
}

/** An inferred mapping in the shape of a loaded mapping file (no options: flags fill in). */
export function asLoadedMapping(m: InferredMapping): LoadedMapping {
  return { file: "(inferred)", spec: m.spec, options: {} };
}
