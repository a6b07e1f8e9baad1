/**
 * The diff for people: a text summary, and a self-contained HTML page (same rules as the feed
 * report: inline CSS/SVG, a CSP forbidding remote loads, every feed value escaped).
 */
import { CSP, SCRIPT, STYLE } from "../report/assets.js";
import { type Bar, barChart } from "../report/charts.js";
import { esc, fmt, pct } from "../report/escape.js";
import type { DiffResult, DiffSide } from "./diff.js";
import { inlineText } from "../../core/terminal-text.js";

const signed = (n: number, digits = 2) => `${n > 0 ? "+" : n < 0 ? "−" : ""}${Math.abs(n).toFixed(digits)}`;

function sideLine(label: string, s: DiffSide): string {
  const extra = [
    s.invalid ? `${s.invalid} rejected` : "",
    s.duplicates
      ? `${s.duplicates} duplicate SKU${s.duplicates === 1 ? "" : "s"} (later occurrences, not compared)`
      : "",
    s.skipped ? `${s.skipped} skipped` : "",
    s.noSku ? `${s.noSku} without SKU` : "",
  ].filter(Boolean);
  return `  ${label.padEnd(12)}${s.source} (${s.format}, ${s.preset}): ${s.valid} valid products${extra.length ? `, ${extra.join(", ")}` : ""}`;
}

export function formatDiffText(d: DiffResult, title: string, details: string[] = []): string {
  const w = String(Math.max(d.added, d.removed, d.changed, d.unchanged, 1)).length;
  const n = (x: number) => String(x).padStart(w);
  const lines = [title, sideLine("old", d.old), sideLine("new", d.new), ...details.map((x) => `  ${x}`)];
  lines.push(`  added       ${n(d.added)}`);
  lines.push(`  removed     ${n(d.removed)}`);
  lines.push(`  changed     ${n(d.changed)}`);
  lines.push(`  unchanged   ${n(d.unchanged)}`);
  if (d.invalid > 0) lines.push(`  now invalid ${n(d.invalid)}  (valid in old, rejected in new)`);
  if (d.fields.length > 0) {
    lines.push("", "  field         changed");
    for (const f of d.fields) lines.push(`  ${f.field.padEnd(12)}  ${String(f.changed).padStart(7)}`);
  }
  const p = d.prices;
  if (p.moves > 0) {
    lines.push("");
    const med =
      p.medianPct !== undefined
        ? `median ${signed(p.medianPct, 1)}%`
        : p.medianDelta !== undefined
          ? `median ${signed(p.medianDelta)}`
          : "";
    lines.push(
      `  price moves ${p.moves}: ${p.up} up, ${p.down} down; ${med}${p.medianDelta !== undefined ? ` (${signed(p.medianDelta)})` : ""}`,
    );
    lines.push("  largest:");
    for (const m of p.largest) {
      const ch = m.pct !== null ? `${signed(m.pct, 1)}%` : signed(m.delta);
      lines.push(`    ${inlineText(m.sku)}: ${m.old} → ${m.new} ${inlineText(m.currency)} (${ch})`);
    }
  }
  if (p.currencyChanges > 0)
    lines.push(`  currency changed for ${p.currencyChanges} products (not counted as price moves)`);
  if (!d.differences) lines.push("", "  no differences");
  return `${lines.join("\n")}\n`;
}

/** JSON form (what `--json` prints). */
export function diffJson(d: DiffResult, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { ...extra, ...d };
}

const num = (n: number, key: string) => `<td class="num" data-key="${esc(key)}">${esc(fmt(n))}</td>`;

export function renderDiffHtml(
  d: DiffResult,
  meta: { version: string; finishedAt: string; csv?: string | undefined },
): string {
  const title = `feedpipe diff: ${d.old.source} → ${d.new.source}`;
  const sides = (["old", "new"] as const)
    .map((k) => {
      const s = d[k];
      return `<tr><th scope="row">${k}</th><td>${esc(s.source)}</td><td>${esc(s.format)}</td><td>${esc(s.preset)}</td>${num(s.valid, `${k}:valid`)}${num(s.invalid, `${k}:invalid`)}${num(s.noSku, `${k}:noSku`)}${num(s.duplicates, `${k}:duplicates`)}</tr>`;
    })
    .join("");
  const counts: Bar[] = [
    { label: "added", value: d.added, kind: "ok" },
    { label: "removed", value: d.removed, kind: "error" },
    { label: "changed", value: d.changed, kind: "warning" },
    { label: "now invalid", value: d.invalid, kind: "error" },
    { label: "unchanged", value: d.unchanged, kind: "neutral" },
  ];
  const total = d.added + d.removed + d.changed + d.invalid + d.unchanged;
  const fieldBars: Bar[] = d.fields.map((f) => ({
    label: f.field,
    value: f.changed,
    kind: "warning",
    note: `${fmt(f.changed)} (${pct(f.changed, d.changed)} of changed)`,
  }));
  const p = d.prices;
  const largest = p.largest
    .map(
      (m) =>
        `<tr><td>${esc(m.sku)}</td><td class="num">${esc(fmt(m.old))}</td><td class="num">${esc(fmt(m.new))}</td><td>${esc(m.currency)}</td><td class="num">${esc(signed(m.delta))}</td><td class="num">${m.pct !== null ? `${esc(signed(m.pct, 1))}%` : "–"}</td></tr>`,
    )
    .join("");
  const kinds = [...new Set(d.examples.map((e) => e.change))].sort();
  const rows = d.examples
    .map(
      (e) =>
        `<tr data-rule="${esc(e.change)}"><td>${esc(e.sku)}</td><td>${esc(e.change)}</td><td><code>${esc(e.field)}</code></td><td class="value">${esc(e.old)}</td><td class="value">${esc(e.new)}</td></tr>`,
    )
    .join("");
  const capped =
    d.changes > d.examples.length
      ? `<p class="muted">Showing the first ${fmt(d.examples.length)} of ${fmt(d.changes)} changes.</p>`
      : "";
  const csv = meta.csv
    ? `<p>Every change: <a id="changes-link" href="${esc(meta.csv)}">${esc(meta.csv)}</a> (CSV: sku, change, field, old, new).</p>`
    : "";
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8"><meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<header><h1>${esc(title)}</h1><p><span class="verdict ${d.differences ? "bad" : "ok"}" id="verdict">${d.differences ? `${esc(fmt(d.changes))} changes` : "✔ no differences"}</span></p></header><main>` +
    `<section id="feeds" aria-labelledby="feeds-h"><h2 id="feeds-h">Feeds</h2><div class="wrap"><table id="sides"><thead><tr><th scope="col">side</th><th scope="col">source</th><th scope="col">format</th><th scope="col">preset</th><th scope="col" class="num">valid</th><th scope="col" class="num">rejected</th><th scope="col" class="num">no SKU</th><th scope="col" class="num">duplicates</th></tr></thead><tbody>${sides}</tbody></table></div></section>` +
    `<section id="summary" aria-labelledby="sum-h"><h2 id="sum-h">Products</h2>${barChart({ title: "Products by outcome", bars: counts, total, testId: "outcomes" })}` +
    `<table class="kv" id="summary-table"><tbody>` +
    [
      ["added", d.added],
      ["removed", d.removed],
      ["changed", d.changed],
      ["now invalid", d.invalid],
      ["unchanged", d.unchanged],
    ]
      .map(([k, v]) => `<tr><th scope="row">${k}</th>${num(v as number, String(k))}</tr>`)
      .join("") +
    `</tbody></table></section>` +
    `<section id="fields" aria-labelledby="fields-h"><h2 id="fields-h">Changes per field</h2>${fieldBars.length ? barChart({ title: "Changed products per field", bars: fieldBars, testId: "fields" }) : "<p>No field changed.</p>"}</section>` +
    `<section id="prices" aria-labelledby="prices-h"><h2 id="prices-h">Price moves</h2>` +
    `<p id="price-line">${esc(fmt(p.moves))} price moves: ${esc(fmt(p.up))} up, ${esc(fmt(p.down))} down${p.medianPct !== undefined ? `; median ${esc(signed(p.medianPct, 1))}%` : ""}${p.medianDelta !== undefined ? ` (${esc(signed(p.medianDelta))})` : ""}.${p.currencyChanges ? ` ${esc(fmt(p.currencyChanges))} products changed currency.` : ""}</p>` +
    (largest
      ? `<div class="wrap"><table id="largest"><caption class="muted">Largest moves</caption><thead><tr><th scope="col">SKU</th><th scope="col" class="num">old</th><th scope="col" class="num">new</th><th scope="col">currency</th><th scope="col" class="num">change</th><th scope="col" class="num">%</th></tr></thead><tbody>${largest}</tbody></table></div>`
      : "") +
    `</section><section id="problems" aria-labelledby="ch-h"><h2 id="ch-h">Changes</h2>${capped}${csv}` +
    (rows
      ? `<div class="controls" id="ex-controls" hidden><label for="ex-rule">Change<select id="ex-rule"><option value="">all changes</option>${kinds.map((k) => `<option value="${esc(k)}">${esc(k)}</option>`).join("")}</select></label>` +
        `<label for="ex-search">Search<input id="ex-search" type="search" placeholder="SKU, value…"></label><span id="ex-shown" class="muted" aria-live="polite"></span></div>` +
        `<div class="wrap"><table id="examples"><thead><tr><th scope="col">SKU</th><th scope="col">change</th><th scope="col">field</th><th scope="col">old</th><th scope="col">new</th></tr></thead><tbody>${rows}</tbody></table></div>`
      : "<p>No changes.</p>") +
    `</section></main><footer>Written by feedpipe ${esc(meta.version)} at ${esc(meta.finishedAt)}. This page loads nothing from the network.</footer><script>${SCRIPT}</script></body></html>\n`
  );
}
