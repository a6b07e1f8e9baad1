/** Format sniffing from the first decoded text of a feed. */
import type { InputFormat } from "./types.js";

export interface Sniffed {
  format: InputFormat;
  delimiter?: string | undefined;
  recordTag?: string | undefined;
  jsonPath?: string | undefined;
}

const DELIMITERS = [",", "\t", ";", "|"] as const;

/** First line of text, outside quotes (a quoted header cell may hold a newline). */
function firstLogicalLine(text: string): string {
  let inQuotes = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') inQuotes = !inQuotes;
    else if ((c === "\n" || c === "\r") && !inQuotes) return text.slice(0, i);
  }
  return text;
}

/** Pick the delimiter that splits the header line most (outside quotes). */
export function sniffDelimiter(text: string): string {
  const line = firstLogicalLine(text);
  const counts = new Map<string, number>(DELIMITERS.map((d) => [d, 0]));
  let inQuotes = false;
  for (const c of line) {
    if (c === '"') inQuotes = !inQuotes;
    else if (!inQuotes && counts.has(c)) counts.set(c, counts.get(c)! + 1);
  }
  let best = ",";
  let bestCount = 0;
  for (const d of DELIMITERS) {
    const n = counts.get(d)!;
    if (n > bestCount) {
      best = d;
      bestCount = n;
    }
  }
  return best;
}

const RECORD_TAGS = ["item", "entry", "product", "offer", "Product", "record", "row"];

/** Guess the element that holds one record in an XML feed. */
export function sniffRecordTag(text: string): string | undefined {
  if (/<(?:\w+:)?rss[\s>]/.test(text)) return "item";
  if (/<(?:\w+:)?feed[\s>]/.test(text) && /<(?:\w+:)?entry[\s>]/.test(text)) return "entry";
  const seen = new Map<string, number>();
  for (const m of text.matchAll(/<([A-Za-z_][\w.:-]*)[\s/>]/g)) {
    const name = m[1]!;
    seen.set(name, (seen.get(name) ?? 0) + 1);
  }
  // Market feeds with their own record tags: Heureka / Zboží.cz `<SHOP><SHOPITEM>`, Ceneo `<offers><o>`.
  if (seen.has("SHOPITEM")) return "SHOPITEM";
  if (seen.has("offers") && seen.has("o")) return "o";
  for (const t of RECORD_TAGS) {
    for (const [name] of seen) if (name === t || name.endsWith(`:${t}`)) return name;
  }
  return undefined;
}

/** Element names seen in an XML head, for the "which record tag?" error. */
export function xmlElementNames(text: string, max = 15): string[] {
  const names = new Set<string>();
  for (const m of text.matchAll(/<([A-Za-z_][\w.:-]*)[\s/>]/g)) {
    names.add(m[1]!);
    if (names.size >= max) break;
  }
  return [...names];
}

/**
 * Find the first array of objects inside a JSON object document, as a dot path (depth <= 4).
 * Works on a prefix of the document; returns undefined when none is seen in it.
 */
export function sniffJsonArrayPath(text: string): string | undefined {
  const keys: (string | undefined)[] = [];
  const kinds: ("{" | "[")[] = [];
  let pendingKey: string | undefined;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const str = text.slice(i + 1, j);
      i = j + 1;
      // A string followed by ':' inside an object is a key.
      let k = i;
      while (k < n && /\s/.test(text[k]!)) k++;
      if (text[k] === ":" && kinds[kinds.length - 1] === "{") {
        pendingKey = str;
        i = k + 1;
      }
      continue;
    }
    if (c === "{" || c === "[") {
      if (c === "[" && kinds[kinds.length - 1] === "{" && pendingKey !== undefined) {
        let k = i + 1;
        while (k < n && /\s/.test(text[k]!)) k++;
        if (text[k] === "{") return [...keys.slice(1), pendingKey].filter((x) => x !== undefined).join(".");
      }
      kinds.push(c);
      keys.push(pendingKey);
      pendingKey = undefined;
      if (kinds.length > 5) return undefined;
    } else if (c === "}" || c === "]") {
      kinds.pop();
      keys.pop();
      pendingKey = undefined;
    } else if (c === ",") pendingKey = undefined;
    i++;
  }
  return undefined;
}

/**
 * A text starting with `{`: NDJSON when its first line is a whole JSON object and the next starts
 * another (or there is none and it holds no array of records); else a JSON document, at the path of
 * its record array or, for a one-line catalog keyed by id (`{"products":{"a":{…},"b":{…}}}`), at
 * that key, which the JSON reader then reports as an object instead of an array.
 */
function sniffObjects(text: string): Sniffed {
  const lines = text.split(/\r?\n/, 3).filter((l) => l.trim() !== "");
  const first = lines[0]?.trim() ?? "";
  const second = lines[1]?.trim();
  let keyed: string | undefined;
  if (first.startsWith("{") && first.endsWith("}")) {
    let value: unknown;
    let parsed = false;
    try {
      value = JSON.parse(first);
      parsed = true;
    } catch {
      // not one object on one line: a document
    }
    if (parsed) {
      keyed = second === undefined ? keyedCatalogKey(value) : undefined;
      const ndjson = second !== undefined ? second.startsWith("{") : sniffJsonArrayPath(first) === undefined;
      if (keyed === undefined && ndjson) return { format: "ndjson" };
    }
  }
  return { format: "json", jsonPath: sniffJsonArrayPath(text) ?? keyed };
}

/** The key of a document `{"key": {"id1": {…}, "id2": {…}, …}}` (two or more objects), if it is one. */
function keyedCatalogKey(value: unknown): string | undefined {
  if (!isObject(value)) return undefined;
  const keys = Object.keys(value);
  if (keys.length !== 1) return undefined;
  const inner = value[keys[0]!];
  if (!isObject(inner)) return undefined;
  const members = Object.values(inner);
  return members.length >= 2 && members.every(isObject) ? keys[0] : undefined;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Decide the format from the head of the decoded text. */
export function sniffFormat(head: string): Sniffed {
  const t = head.replace(/^\uFEFF/, "").trimStart();
  if (t.startsWith("<")) return { format: "xml", recordTag: sniffRecordTag(t) };
  if (t.startsWith("[")) return { format: "json", jsonPath: "" };
  if (t.startsWith("{")) return sniffObjects(t);
  return { format: "csv", delimiter: sniffDelimiter(t) };
}

/**
 * Is this head enough to decide the format (and delimiter, record tag or JSON path)? Lets the
 * ingest start on a slow source without waiting for a full sniffing window.
 */
export function sniffIsDecided(head: string): boolean {
  const t = head.replace(/^\uFEFF/, "").trimStart();
  if (t === "") return false;
  if (t.startsWith("<"))
    return /<(?:\w+:)?(?:item|entry)[\s>/]/.test(t) || (sniffRecordTag(t) !== undefined && t.length > 4096);
  if (t.startsWith("[")) return true;
  if (t.startsWith("{")) return sniffJsonArrayPath(t) !== undefined || t.split("\n", 3).length >= 3;
  // CSV: the header line is complete (outside quotes).
  return firstLogicalLine(t).length < t.length;
}
