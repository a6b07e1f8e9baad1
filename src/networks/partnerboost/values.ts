/**
 * Value coercion shared by the PartnerBoost response readers (publisher datafeed, Amazon): the API
 * sends numbers as strings, flags as 0/1/"yes", lists as arrays or index-keyed objects.
 */

export function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** Any value as text (null/undefined → ""; objects as JSON). */
export function str(v: unknown): string {
  if (typeof v === "string") return v;
  if (v === undefined || v === null) return "";
  if (typeof v === "number" || typeof v === "boolean" || typeof v === "bigint") return String(v);
  return JSON.stringify(v);
}

/** A non-negative whole count from a number or digit string; undefined otherwise. */
export function toCount(v: unknown): number | undefined {
  if (typeof v === "number" && Number.isFinite(v) && v >= 0) return Math.floor(v);
  if (typeof v === "string" && /^\s*\d+\s*$/.test(v)) return Number(v);
  return undefined;
}

/** A flag from a boolean, 0/1, "true"/"false", "yes"/"no" ("" is false); undefined otherwise. */
export function toFlag(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "number") return v !== 0;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "1" || s === "true" || s === "yes") return true;
    if (s === "0" || s === "false" || s === "no" || s === "") return false;
  }
  return undefined;
}

/**
 * List entries in order: an array, or an object keyed by index (sorted numerically). An object
 * that is not index-keyed but has one of `itemKeys` is a single item (a list of one).
 */
export function listEntries(list: unknown, itemKeys: readonly string[]): unknown[] {
  if (list === undefined || list === null || list === "") return [];
  if (Array.isArray(list)) return list;
  if (isObject(list)) {
    const keys = Object.keys(list);
    const numeric = keys.every((k) => /^\d+$/.test(k));
    if (numeric) keys.sort((a, b) => Number(a) - Number(b));
    if (!numeric && keys.some((k) => itemKeys.includes(k))) return [list];
    return keys.map((k) => list[k]);
  }
  return [list];
}

/**
 * Server text made safe to print and store: control, bidi and line-separator characters become
 * `\uXXXX` escapes (so a message cannot move the cursor, recolour a terminal or fake a line), and
 * the text is cut to `max` characters.
 */
export function safeText(text: string, max = 300): string {
  const escaped = text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
