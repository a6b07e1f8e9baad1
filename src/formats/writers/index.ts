/** Output writers: one per format, chosen by name or by a file's extension. */
import { FeedpipeError } from "../../core/errors.js";
import type { OutputFormat, Writer, WriterOptions } from "../types.js";
import { createCsvWriter, createTsvWriter } from "./csv.js";
import { createJsonWriter, createNdjsonWriter } from "./json.js";
import { createXmlWriter } from "./xml.js";

export { cellEncoder, createCsvWriter, createTsvWriter, plainNumber } from "./csv.js";
export { createJsonWriter, createNdjsonWriter } from "./json.js";
export { createXmlWriter, escapeXml, xmlName } from "./xml.js";

export const OUTPUT_FORMATS: readonly OutputFormat[] = ["csv", "tsv", "ndjson", "json", "xml"];

export function createWriter(format: OutputFormat, options: WriterOptions): Writer {
  switch (format) {
    case "csv":
      return createCsvWriter(options);
    case "tsv":
      return createTsvWriter(options);
    case "ndjson":
      return createNdjsonWriter(options);
    case "json":
      return createJsonWriter(options);
    case "xml":
      return createXmlWriter(options);
    default:
      throw new FeedpipeError(
        "INVALID_OPTION",
        `Invalid option format: expected one of ${OUTPUT_FORMATS.join(", ")}, got "${String(format)}"`,
      );
  }
}

const EXTENSIONS: Record<string, OutputFormat> = {
  csv: "csv",
  tsv: "tsv",
  tab: "tsv",
  ndjson: "ndjson",
  jsonl: "ndjson",
  json: "json",
  xml: "xml",
  rss: "xml",
};

/**
 * The output format a path's extension names (case-insensitive), or undefined (`-`, no or unknown
 * extension). Compressed names such as `out.csv.gz` give undefined: feedpipe does not write gzip.
 */
export function formatFromPath(path: string): OutputFormat | undefined {
  const base = path.slice(Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1);
  const dot = base.lastIndexOf(".");
  if (dot <= 0) return undefined;
  return EXTENSIONS[base.slice(dot + 1).toLowerCase()];
}
