/**
 * Inline SVG charts for the report, readable without JavaScript: every bar carries its label and
 * value as text, every chart a <title>/<desc> for screen readers, and the kinds of bars (error /
 * warning / ok) differ by pattern and by the word in their label, not by colour alone.
 */
import { esc, fmt, pct, shorten } from "./escape.js";

export type BarKind = "error" | "warning" | "ok" | "neutral";

export interface Bar {
  label: string;
  value: number;
  /** Text after the bar (default: value and share of `total`). */
  note?: string | undefined;
  kind?: BarKind | undefined;
}

let chartSeq = 0;

/** Patterns for the kinds, defined per chart (ids must be unique in the page). */
function defs(id: string): string {
  return (
    `<defs><pattern id="${id}-hatch" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">` +
    `<rect width="6" height="6" class="bar-warning"/><line x1="1.5" y1="0" x2="1.5" y2="6" class="hatch"/></pattern></defs>`
  );
}

function fillOf(id: string, kind: BarKind | undefined): string {
  // No fill class here: a CSS fill would win over the pattern attribute.
  if (kind === "warning") return `fill="url(#${id}-hatch)" class="bar hatched"`;
  return `class="bar bar-${kind ?? "neutral"}"`;
}

/**
 * Horizontal bars, one per row. `total` is the whole the shares are of (default: the largest
 * value); `max` the value of a full-width bar (default: the largest value).
 */
export function barChart(options: {
  title: string;
  description?: string | undefined;
  bars: readonly Bar[];
  total?: number | undefined;
  max?: number | undefined;
  testId?: string | undefined;
}): string {
  const id = `c${++chartSeq}`;
  const { bars } = options;
  const rowH = 22;
  const labelW = 220;
  const barW = 300;
  const width = 680;
  const height = Math.max(1, bars.length) * rowH + 8;
  const max = options.max ?? Math.max(1, ...bars.map((b) => b.value));
  const total = options.total ?? max;
  const rows = bars.map((b, i) => {
    const y = 4 + i * rowH;
    const w = max > 0 ? Math.max(b.value > 0 ? 1 : 0, Math.round((b.value / max) * barW)) : 0;
    const note = b.note ?? `${fmt(b.value)} (${pct(b.value, total)})`;
    return (
      `<g class="row" data-label="${esc(b.label)}" data-value="${b.value}">` +
      `<title>${esc(b.label)}: ${esc(note)}</title>` +
      `<text x="${labelW - 6}" y="${y + 15}" text-anchor="end" class="label">${esc(shorten(b.label, 34))}</text>` +
      `<rect x="${labelW}" y="${y + 3}" width="${w}" height="${rowH - 6}" ${fillOf(id, b.kind)}/>` +
      `<text x="${labelW + w + 6}" y="${y + 15}" class="value">${esc(note)}</text></g>`
    );
  });
  const empty = bars.length === 0 ? `<text x="${labelW}" y="18" class="value">nothing to show</text>` : "";
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `aria-labelledby="${id}-t ${id}-d"${options.testId ? ` data-chart="${esc(options.testId)}"` : ""}>` +
    `<title id="${id}-t">${esc(options.title)}</title><desc id="${id}-d">${esc(options.description ?? options.title)}</desc>` +
    `${defs(id)}${rows.join("")}${empty}</svg>`
  );
}

/** Vertical histogram: one bar per bucket, the count above it, the bucket's range below. */
export function histogram(options: {
  title: string;
  labels: readonly string[];
  counts: readonly number[];
  testId?: string | undefined;
}): string {
  const id = `c${++chartSeq}`;
  const n = options.counts.length;
  const colW = 38;
  const plotH = 120;
  const width = Math.max(200, n * colW + 20);
  const height = plotH + 56;
  const max = Math.max(1, ...options.counts);
  const cols = options.counts.map((c, i) => {
    const h = c > 0 ? Math.max(1, Math.round((c / max) * plotH)) : 0;
    const x = 10 + i * colW;
    const y = 16 + plotH - h;
    const label = options.labels[i] ?? "";
    return (
      `<g class="col" data-label="${esc(label)}" data-value="${c}"><title>${esc(label)}: ${fmt(c)}</title>` +
      `<rect x="${x + 3}" y="${y}" width="${colW - 6}" height="${h}" class="bar bar-neutral"/>` +
      `<text x="${x + colW / 2}" y="${y - 3}" text-anchor="middle" class="value small">${c > 0 ? esc(fmt(c)) : ""}</text>` +
      `<text x="${x + colW / 2}" y="${plotH + 30}" text-anchor="end" class="label small" ` +
      `transform="rotate(-40 ${x + colW / 2} ${plotH + 30})">${esc(label)}</text></g>`
    );
  });
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" ` +
    `aria-labelledby="${id}-t"${options.testId ? ` data-chart="${esc(options.testId)}"` : ""}>` +
    `<title id="${id}-t">${esc(options.title)}</title>` +
    `<line x1="10" y1="${plotH + 16}" x2="${width - 10}" y2="${plotH + 16}" class="axis"/>${cols.join("")}</svg>`
  );
}

/** One stacked bar of the accounting (valid / rejected / skipped), each part labelled in text. */
export function stackedBar(options: {
  title: string;
  parts: readonly { label: string; value: number; kind: BarKind }[];
}): string {
  const id = `c${++chartSeq}`;
  const width = 680;
  const total = options.parts.reduce((a, p) => a + p.value, 0);
  let x = 0;
  const segs = options.parts.map((p) => {
    const w = total > 0 ? (p.value / total) * width : 0;
    const seg =
      `<g class="seg" data-label="${esc(p.label)}" data-value="${p.value}"><title>${esc(p.label)}: ${fmt(p.value)} (${pct(p.value, total)})</title>` +
      `<rect x="${x.toFixed(1)}" y="0" width="${w.toFixed(1)}" height="26" ${fillOf(id, p.kind)}/></g>`;
    x += w;
    return seg;
  });
  const legend = options.parts
    .map((p, i) => {
      const lx = i * 220;
      return (
        `<rect x="${lx}" y="36" width="14" height="14" ${fillOf(id, p.kind)}/>` +
        `<text x="${lx + 20}" y="48" class="label">${esc(p.label)} ${esc(fmt(p.value))} (${pct(p.value, total)})</text>`
      );
    })
    .join("");
  return (
    `<svg class="chart" role="img" viewBox="0 0 ${width} 56" width="${width}" height="56" aria-labelledby="${id}-t">` +
    `<title id="${id}-t">${esc(options.title)}</title>${defs(id)}${segs.join("")}${legend}</svg>`
  );
}
