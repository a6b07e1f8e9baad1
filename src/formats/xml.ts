/**
 * XML reader: decoded text → fields, in batches (one per input chunk). The splitter
 * (xml-splitter.ts) finds each record and parses it in place (xml-record.ts); records cut by a
 * chunk boundary or with unusual markup are cut out as strings and parsed on their own.
 *
 * Field shape (fast-xml-parser's, with attributes as `@name`; see xml-record.ts and its
 * differential tests):
 * - `fields` holds the children of the record element, not wrapped in its name; the record
 *   element's own attributes are `@name` keys beside them (`<product id="1">` → `{"@id": "1", ...}`).
 * - Element names keep their prefix: `<g:price>` → `"g:price"`; RSS/Atom core names are plain
 *   (`title`, `link`, `description`, `summary`, `id`).
 * - Text-only element → string (trimmed, CDATA included; the five XML entities and numeric
 *   references decoded, other `&name;` such as `&nbsp;` kept as written; CDATA merged into the
 *   text, its markup kept verbatim). Empty element (`<x/>`, `<x></x>`) → `""`. Every value is a
 *   string: nothing becomes a number, so GTINs keep their leading zeros.
 * - Element with attributes or children → object: children by name, its own text under `"#text"`,
 *   attributes as `"@name"`: Atom `<link href="u"/>` → `{"@href": "u"}`,
 *   `<title type="text">T</title>` → `{"#text": "T", "@type": "text"}`.
 * - A repeated element → array in document order (`g:additional_image_link` twice → `[a, b]`);
 *   once → the plain value. Consumers must accept "value or array of values".
 * - Groups nest: `<g:shipping><g:country>US</g:country></g:shipping>` → `{"g:shipping": {"g:country": "US"}}`.
 * - Comments and processing instructions are ignored; `xmlns` declarations on the record element
 *   are not fields.
 * - DOCTYPE entities are never expanded (a record is parsed on its own, without the prolog, and
 *   unknown `&name;` references stay as written), so "billion laughs" documents cost nothing.
 * - Google namespace: a prefix other than `g` bound to http://base.google.com/ns/1.0 (on the root,
 *   an ancestor or the record element), or that URI as the default namespace, is rewritten to
 *   `g:` (`<x:price>` → `"g:price"`; with the default namespace every unprefixed element, `title`
 *   too, becomes `g:title`).
 *
 * Bad records are data: malformed markup inside one record (mismatched or unclosed tags, broken
 * attributes) gives an `XML_MALFORMED` problem record (fields `{}`, `raw` clipped) and the run
 * goes on; a record over the size cap gives `RECORD_TOO_LARGE`. A feed that ends inside a record
 * or before its root element closes throws FEED_XML_UNTERMINATED after the complete records.
 */
import { clip, type FieldValue, type Fields, type RecordBatch, type SourceRecord } from "../core/record.js";
import { newReaderStats, type Reader, type ReaderStats, withStats } from "./reader.js";
import type { XmlReaderOptions } from "./types.js";
import { parseXmlRecord } from "./xml-record.js";
import { type XmlRecordText, XmlSplitter } from "./xml-splitter.js";

export {
  recordTagName,
  splitXml,
  type XmlRecordText,
  XmlSplitter,
  type XmlSplitterOptions,
} from "./xml-splitter.js";

export const GOOGLE_NS = "http://base.google.com/ns/1.0";

// ---------------------------------------------------------------------------------------------
// Namespaces
// ---------------------------------------------------------------------------------------------

interface NsPlan {
  /** Prefixes (with ':') bound to the Google namespace, other than `g:`. */
  prefixes: string[];
  /** The default namespace is Google's: unprefixed element names get `g:`. */
  defaultGoogle: boolean;
}

function nsPlan(ns: Record<string, string>): NsPlan | undefined {
  const prefixes: string[] = [];
  let defaultGoogle = false;
  for (const [prefix, uri] of Object.entries(ns)) {
    if (
      uri
        .trim()
        .replace(/^https:/, "http:")
        .replace(/\/$/, "") !== GOOGLE_NS
    )
      continue;
    if (prefix === "") defaultGoogle = true;
    else if (prefix !== "g") prefixes.push(`${prefix}:`);
  }
  return prefixes.length > 0 || defaultGoogle ? { prefixes, defaultGoogle } : undefined;
}

function renameKey(key: string, plan: NsPlan): string {
  const c = key.charCodeAt(0);
  if (c === 64 /* @ */ || c === 35 /* # */) return key;
  for (const p of plan.prefixes) if (key.startsWith(p)) return `g:${key.slice(p.length)}`;
  if (plan.defaultGoogle && !key.includes(":")) return `g:${key}`;
  return key;
}

function renameValue(v: FieldValue, plan: NsPlan): FieldValue {
  if (Array.isArray(v)) return v.map((x) => renameValue(x, plan));
  if (v !== null && typeof v === "object") return renameFields(v, plan);
  return v;
}

function renameFields(fields: Fields, plan: NsPlan): Fields {
  const out: Fields = {};
  for (const [k, v] of Object.entries(fields)) {
    const key = renameKey(k, plan);
    const value = renameValue(v, plan);
    const prev = out[key];
    // `g:price` and `x:price` in one record (both Google): keep both values.
    if (prev === undefined) out[key] = value;
    else out[key] = [...(Array.isArray(prev) ? prev : [prev]), ...(Array.isArray(value) ? value : [value])];
  }
  return out;
}

/** Drop `xmlns` declarations from a record's fields and apply the `g:` normalisation. */
function recordFields(parsed: Fields, docPlan: NsPlan | undefined, docNs: Record<string, string>): Fields {
  let fields = parsed;
  let plan = docPlan;
  let local: Record<string, string> | undefined;
  for (const k in fields) {
    if (k === "@xmlns" || k.startsWith("@xmlns:")) {
      local ??= { ...docNs };
      local[k === "@xmlns" ? "" : k.slice(7)] = String(fields[k]);
    }
  }
  if (local !== undefined) {
    fields = { ...fields };
    for (const k of Object.keys(fields)) if (k === "@xmlns" || k.startsWith("@xmlns:")) delete fields[k];
    plan = nsPlan(local);
  }
  return plan === undefined ? fields : renameFields(fields, plan);
}

// ---------------------------------------------------------------------------------------------
// Reader
// ---------------------------------------------------------------------------------------------

function toRecord(
  r: XmlRecordText,
  source: string,
  max: number,
  plan: NsPlan | undefined,
  ns: Record<string, string>,
): SourceRecord {
  const { index, line, offset } = r;
  if (r.fields !== undefined) {
    // Parsed in place by the splitter (the common case).
    const fields = r.xmlns === true || plan !== undefined ? recordFields(r.fields, plan, ns) : r.fields;
    return { source, index, line, offset, fields };
  }
  if (r.oversize !== undefined) {
    return {
      source,
      index,
      line,
      offset,
      fields: {},
      problem: {
        code: "RECORD_TOO_LARGE",
        severity: "error",
        message: `record is ${r.oversize} characters long, over the limit of ${max}`,
        value: r.oversize,
      },
      raw: clip(r.text, 200),
    };
  }
  const parsed = parseXmlRecord(r.text);
  if (parsed.ok) return { source, index, line, offset, fields: recordFields(parsed.fields, plan, ns) };
  const error = parsed.error;
  return {
    source,
    index,
    line,
    offset,
    fields: {},
    problem: {
      code: "XML_MALFORMED",
      severity: "error",
      message: `malformed XML in record ${r.index}: ${error}`,
      value: clip(r.text, 200),
    },
    raw: clip(r.text),
  };
}

/** Read an XML feed: one record per `recordTag` element, in batches (one per input chunk). */
export const readXml: Reader<XmlReaderOptions> = (text, options) => {
  const { source, maxRecordBytes } = options;
  // Validates recordTag and maxRecordBytes now, before any I/O.
  const splitter = new XmlSplitter({ recordTag: options.recordTag, source, maxRecordBytes, parse: true });
  const stats = newReaderStats();
  return withStats(xmlBatches(text, splitter, options, stats), stats);
};

async function* xmlBatches(
  text: AsyncIterable<string>,
  splitter: XmlSplitter,
  options: XmlReaderOptions,
  stats: ReaderStats,
): AsyncGenerator<RecordBatch> {
  const { source, maxRecordBytes } = options;
  let plan: NsPlan | undefined;
  let planned = false;
  for await (const chunk of text) {
    const cut = splitter.push(chunk);
    if (cut.length === 0) continue;
    if (!planned) {
      // Declarations before the first record are all seen by now.
      plan = nsPlan(splitter.namespaces);
      planned = true;
    }
    const batch: SourceRecord[] = new Array(cut.length);
    for (let k = 0; k < cut.length; k++) {
      const r = toRecord(cut[k]!, source, maxRecordBytes, plan, splitter.namespaces);
      if (r.problem) stats.problems++;
      batch[k] = r;
    }
    stats.records += cut.length;
    yield batch;
  }
  splitter.end();
}
