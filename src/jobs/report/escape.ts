/**
 * Escaping for the HTML report. Feeds are hostile input: every value that reaches the page goes
 * through `esc` (text and attribute values alike: & < > " ' are all replaced), and links are built
 * with `relativeHref`, which can only give a relative URL (no scheme can survive it).
 */
import { dirname, relative, resolve, sep } from "node:path";

const MAP: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text or attribute value, safe anywhere in element content or a quoted attribute. */
export function esc(value: unknown): string {
  const s = value === undefined || value === null ? "" : String(value);
  // NUL and other C0 controls (except tab/newline) are not allowed in HTML text: show U+FFFD.
  return s
    .replace(/[&<>"']/g, (c) => MAP[c]!)
    .replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g, "\ufffd");
}

/** 1234567 → "1,234,567". */
export function fmt(n: number): string {
  return Number.isFinite(n) ? n.toLocaleString("en-US", { maximumFractionDigits: 2 }) : "–";
}

/** Share as a percentage with one decimal ("12.5%"); "0%" when the whole is 0. */
export function pct(part: number, whole: number): string {
  if (whole <= 0) return "0%";
  const p = (part / whole) * 100;
  return `${p >= 10 || p === 0 ? Math.round(p * 10) / 10 : Math.round(p * 100) / 100}%`;
}

/** A relative link from the directory of `fromFile` to `target` (each segment percent-encoded). */
export function relativeHref(fromFile: string, target: string): string {
  const rel = relative(dirname(resolve(fromFile)), resolve(target));
  return rel
    .split(sep)
    .map((part) => (part === ".." ? part : encodeURIComponent(part)))
    .join("/");
}

/** Cut text for a chart label (the full text goes into the element's <title>). */
export function shorten(s: string, max: number): string {
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}
