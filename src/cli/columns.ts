/**
 * Plain-text columns for listings: names cut on a word boundary with an ellipsis (never in the
 * middle of a word or inside an opened bracket), numbers right-aligned in their column.
 */

const TRAILING = /[\s,;:.\-–—/([{]+$/u;
const OPENERS: Record<string, string> = { "(": ")", "[": "]", "{": "}" };

/** `text` at most `max` characters: cut at a word boundary, ending in "…" when cut. */
export function truncateWords(text: string, max: number): string {
  const chars = [...text];
  if (chars.length <= max) return text;
  if (max <= 1) return "…".slice(0, max);
  const room = chars.slice(0, max - 1).join("");
  const space = room.lastIndexOf(" ");
  // A single long word: cut it (better than an empty cell).
  let kept =
    space >= Math.floor(max / 2) || (space > 0 && chars[max - 1] === " ") ? room.slice(0, space) : room;
  kept = dropUnclosed(kept).replace(TRAILING, "");
  return `${kept === "" ? room : kept}…`;
}

/** Remove a trailing bracket group that was opened but not closed within the kept text. */
function dropUnclosed(text: string): string {
  const open: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (ch in OPENERS) open.push(i);
    else if (Object.values(OPENERS).includes(ch)) open.pop();
  }
  const first = open[0];
  return first === undefined || first === 0 ? text : text.slice(0, first);
}

/** Pad `text` to `width` display characters on the right (left-aligned cell). */
export function padCell(text: string, width: number): string {
  const len = [...text].length;
  return len >= width ? text : text + " ".repeat(width - len);
}

/** Right-align each value to the widest of them (for a column of numbers). */
export function alignRight(values: readonly string[]): string[] {
  const width = Math.max(0, ...values.map((v) => [...v].length));
  return values.map((v) => " ".repeat(width - [...v].length) + v);
}
