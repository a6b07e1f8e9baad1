/**
 * Fast tests in front of the text rules of ./normalize.ts: one regex scan that proves a text needs
 * no work (the common case), the rules themselves only run when it does not.
 */

/**
 * Any character outside printable ASCII and printable Latin-1 (U+00A1-U+00FF). A text without one
 * and without two spaces in a row has none of the whitespace NEEDS_COLLAPSE / NEEDS_TIDY look for
 * (all of it is below U+0020, U+0085, U+00A0 or above U+00FF): a negated two-range class scans
 * about twice as fast as those alternations, so it is tried first (equal results: property-tested
 * in test/normalize-fast.test.ts).
 */
const OUTSIDE_PRINTABLE_LATIN1 = /[^ -~\u00a1-\u00ff]/;

/** True when `t` surely needs no whitespace tidying (see OUTSIDE_PRINTABLE_LATIN1). */
export function plainSpaced(t: string): boolean {
  return t.indexOf("  ") === -1 && !OUTSIDE_PRINTABLE_LATIN1.test(t);
}

/**
 * With two spaces in a row, what can make the text rules change a trimmed value or flag it: a
 * character outside printable ASCII and printable Latin-1, `&` (an entity) or `<` (HTML).
 */
const NOT_PLAIN = /[^ -%'-;=-~\u00a1-\u00ff]/;

/**
 * True when a trimmed text is left as it is by every text rule: decodeEntities, normalizeText,
 * normalizeMultiline, and it does not look like HTML. One regex scan instead of one per rule (the
 * validator calls this first for names, descriptions, categories, brands and MPNs; property-tested
 * in test/normalize-fast.test.ts).
 */
export function isPlainText(t: string): boolean {
  // A class alone scans faster than with a `| {2}` alternative (measured ~30%); indexOf is cheaper.
  return t.indexOf("  ") === -1 && !NOT_PLAIN.test(t);
}

/**
 * Blank text for a mapping source (transforms/mapping.ts): empty or whitespace only, tested
 * without allocating for the common case (text not starting with whitespace). The reader thread's
 * plain-text marks (src/formats/plain-marks.ts) pick a source's value by the same test.
 */
export function isBlankText(s: string): boolean {
  return (
    s.length === 0 ||
    (s.charCodeAt(0) <= 32 && s.trim() === "") ||
    (s.charCodeAt(0) === 0xa0 && s.trim() === "")
  );
}

/** Bits of a record's plain-text mark: which text fields of its product surely need no text rule. */
export const PLAIN_FIELDS = ["name", "description", "category", "brand", "mpn"] as const;

/** For each bit of the mark (PLAIN_FIELDS order), the source keys its mapping reads, in order. */
export type PlainSources = readonly (readonly string[] | undefined)[];
