/**
 * The report's data sections: issues by rule and by field, fill rate, distributions and the
 * example problems table. Every feed value is escaped (./escape.ts).
 */
import type { RunReport } from "../../core/report.js";
import type { Aggregates } from "./aggregates.js";
import { type Bar, barChart, histogram } from "./charts.js";
import { esc, fmt, pct } from "./escape.js";
import type { TopSummary } from "./topk.js";

const num = (n: number, key?: string) =>
  `<td class="num"${key ? ` data-key="${esc(key)}"` : ""}>${esc(fmt(n))}</td>`;

export function issuesSection(r: RunReport, a: Aggregates): string {
  const rules = r.rules;
  if (rules.length === 0 && r.skips.length === 0) {
    return `<section id="issues" aria-labelledby="issues-h"><h2 id="issues-h">Issues</h2><p>No issues: every record passed every rule.</p></section>`;
  }
  const bars: Bar[] = rules.map((x) => ({
    label: `${x.code} (${x.severity})`,
    value: x.count,
    kind: x.severity,
    note: `${fmt(x.count)} · ${pct(x.count, r.records)} of records`,
  }));
  const ruleRows = rules
    .map(
      (x) =>
        `<tr data-rule="${esc(x.code)}"><td><code>${esc(x.code)}</code></td><td class="sev-${x.severity}">${x.severity}</td>` +
        `${num(x.count, `rule:${x.code}`)}<td class="num">${pct(x.count, r.records)}</td>` +
        `<td class="msg">${x.examples[0] ? esc(`${x.examples[0].line !== undefined ? `line ${x.examples[0].line}` : `record ${x.examples[0].index}`}: ${x.examples[0].message}`) : ""}</td></tr>`,
    )
    .join("");
  const fieldBars: Bar[] = a.issuesByField.map((f) => ({
    label: f.field,
    value: f.errors + f.warnings,
    kind: f.errors > 0 ? "error" : "warning",
    note: `${fmt(f.errors)} errors, ${fmt(f.warnings)} warnings`,
  }));
  const fieldRows = a.issuesByField
    .map(
      (f) =>
        `<tr><td><code>${esc(f.field)}</code></td>${num(f.errors, `field-errors:${f.field}`)}${num(f.warnings, `field-warnings:${f.field}`)}</tr>`,
    )
    .join("");
  const skipRows = r.skips
    .map(
      (s) =>
        `<tr><td><code>${esc(s.code)}</code></td>${num(s.count, `skip:${s.code}`)}<td class="msg">${esc(s.examples[0]?.message ?? "")}</td></tr>`,
    )
    .join("");
  return (
    `<section id="issues" aria-labelledby="issues-h"><h2 id="issues-h">Issues by rule</h2>` +
    (rules.length
      ? `<figure>${barChart({ title: "Issues by rule", description: "Number of issues per rule, with the share of records; errors solid, warnings hatched", bars, total: r.records, testId: "rules" })}` +
        `<figcaption class="muted">Errors are solid bars (✖), warnings hatched (▲). Share: of ${fmt(r.records)} records.</figcaption></figure>` +
        `<div class="wrap"><table id="rules"><caption class="muted">Issues by rule</caption><thead><tr><th scope="col">rule</th><th scope="col">severity</th><th scope="col" class="num">count</th><th scope="col" class="num">share</th><th scope="col">first example</th></tr></thead><tbody>${ruleRows}</tbody></table></div>`
      : "") +
    (fieldBars.length
      ? `<h3>Issues by field</h3><figure>${barChart({ title: "Issues by field", bars: fieldBars, testId: "fields" })}</figure>` +
        `<details><summary>Table: issues by field</summary><table id="issue-fields"><thead><tr><th scope="col">field</th><th scope="col" class="num">errors</th><th scope="col" class="num">warnings</th></tr></thead><tbody>${fieldRows}</tbody></table></details>`
      : "") +
    (skipRows
      ? `<h3>Not products (skipped)</h3><table id="skips"><thead><tr><th scope="col">reason</th><th scope="col" class="num">count</th><th scope="col">example</th></tr></thead><tbody>${skipRows}</tbody></table>`
      : "") +
    `</section>`
  );
}

export function fillSection(a: Aggregates): string {
  const bars: Bar[] = a.fill.map((f) => ({
    label: f.field,
    value: f.filled,
    kind: f.filled === a.records ? "ok" : "neutral",
    note: `${pct(f.filled, a.records)} (${fmt(f.filled)})`,
  }));
  const rows = a.fill
    .map(
      (f) =>
        `<tr><td><code>${esc(f.field)}</code></td>${num(f.filled, `fill:${f.field}`)}<td class="num">${pct(f.filled, a.records)}</td></tr>`,
    )
    .join("");
  return (
    `<section id="fill" aria-labelledby="fill-h"><h2 id="fill-h">Fill rate per field</h2>` +
    `<p class="muted">How many of the ${fmt(a.records)} records have each product field after mapping.</p>` +
    `<figure>${barChart({ title: "Fill rate per product field", bars, max: Math.max(1, a.records), total: a.records, testId: "fill" })}</figure>` +
    `<details><summary>Table: fill rate</summary><table id="fill-table"><thead><tr><th scope="col">field</th><th scope="col" class="num">records</th><th scope="col" class="num">share</th></tr></thead><tbody>${rows}</tbody></table></details></section>`
  );
}

function bucketLabel(edges: readonly number[], i: number): string {
  const lo = edges[i]!;
  const hi = edges[i + 1];
  const k = (n: number) => (n >= 1000 ? `${n / 1000}k` : String(n));
  return hi === undefined ? `≥ ${k(lo)}` : `${k(lo)}–${k(hi)}`;
}

function topBlock(title: string, id: string, t: TopSummary): string {
  if (t.total === 0) return `<div><h3>${esc(title)}</h3><p class="muted">not given in any record</p></div>`;
  const bars: Bar[] = t.top.map((e) => ({
    label: e.value,
    value: e.count,
    note: `${e.error > 0 ? "≤ " : ""}${fmt(e.count)} (${pct(e.count, t.total)})`,
  }));
  const distinct = t.exact
    ? `${fmt(t.distinct)} distinct`
    : `more than ${fmt(t.distinct)} distinct (counts are upper bounds)`;
  const rows = t.top
    .map(
      (e) =>
        `<tr><td>${esc(e.value)}</td>${num(e.count)}<td class="num">${e.error > 0 ? `± ${esc(fmt(e.error))}` : "exact"}</td></tr>`,
    )
    .join("");
  return (
    `<div><h3>${esc(title)}</h3><p class="muted">${fmt(t.total)} records, ${distinct}</p>` +
    `${barChart({ title, bars, total: t.total, testId: id })}` +
    `<details><summary>Table: ${esc(title.toLowerCase())}</summary><table id="${esc(id)}-table"><thead><tr><th scope="col">value</th><th scope="col" class="num">count</th><th scope="col" class="num">accuracy</th></tr></thead><tbody>${rows}</tbody></table></details></div>`
  );
}

export function distributionsSection(a: Aggregates): string {
  const prices = a.prices
    .slice(0, 6)
    .map((p) => {
      const labels = p.edges.map((_e, i) => bucketLabel(p.edges, i));
      return (
        `<div><h3>Prices in ${esc(p.currency)}</h3><p class="muted">${fmt(p.count)} valid products · min ${esc(fmt(p.min))} · mean ${esc(fmt(p.mean))} · max ${esc(fmt(p.max))}</p>` +
        histogram({
          title: `Prices in ${p.currency}: products per price range`,
          labels,
          counts: p.buckets,
          testId: `prices-${p.currency}`,
        }) +
        `</div>`
      );
    })
    .join("");
  const morePrices =
    a.prices.length > 6 ? `<p class="muted">${a.prices.length - 6} more currencies not drawn.</p>` : "";
  return (
    `<section id="distributions" aria-labelledby="dist-h"><h2 id="dist-h">Distributions</h2>` +
    `<div class="grid">${prices || `<p class="muted">No valid products with prices.</p>`}</div>${morePrices}` +
    `<div class="grid">${topBlock("Top brands", "brands", a.brands)}${topBlock("Top categories", "categories", a.categories)}</div>` +
    `<div class="grid">${topBlock("Availability", "availability", a.availability)}</div></section>`
  );
}

export function examplesSection(a: Aggregates, rejects: { href: string; label: string } | undefined): string {
  const ex = a.examples;
  const rules = [...new Set(ex.map((e) => e.rule))].sort();
  const options = rules.map((r) => `<option value="${esc(r)}">${esc(r)}</option>`).join("");
  const rows = ex
    .map(
      (e) =>
        `<tr data-rule="${esc(e.rule)}"><td><code>${esc(e.rule)}</code></td><td class="sev-${e.severity}">${e.severity}</td>` +
        `<td class="num">${e.line !== undefined ? esc(fmt(e.line)) : `#${esc(e.index)}`}</td><td class="sku">${esc(e.sku ?? "")}</td>` +
        `<td><code>${esc(e.field ?? "")}</code></td><td class="value">${esc(e.value ?? "")}</td><td class="msg">${esc(e.message)}</td></tr>`,
    )
    .join("");
  const capped =
    a.examplesSeen > ex.length
      ? `<p class="muted">Showing the first ${fmt(ex.length)} of ${fmt(a.examplesSeen)} problems (at most ${fmt(a.examplesCap.perRule)} per rule).</p>`
      : "";
  const link = rejects
    ? `<p>The full list of rejected records: <a href="${esc(rejects.href)}" id="rejects-link">${esc(rejects.label)}</a> (NDJSON, one record per line with its issues and original fields).</p>`
    : "";
  if (ex.length === 0) {
    return `<section id="problems" aria-labelledby="ex-h"><h2 id="ex-h">Example problems</h2><p>No problems to show.</p>${link}</section>`;
  }
  return (
    `<section id="problems" aria-labelledby="ex-h"><h2 id="ex-h">Example problems</h2>${capped}${link}` +
    `<div class="controls" id="ex-controls" hidden><label for="ex-rule">Rule<select id="ex-rule"><option value="">all rules</option>${options}</select></label>` +
    `<label for="ex-search">Search<input id="ex-search" type="search" placeholder="SKU, value, message…"></label>` +
    `<span id="ex-shown" class="muted" aria-live="polite"></span></div>` +
    `<div class="wrap"><table id="examples"><caption class="muted">Example problems: rule, place, SKU, field, value and message</caption>` +
    `<thead><tr><th scope="col">rule</th><th scope="col">severity</th><th scope="col" class="num">line</th><th scope="col">SKU</th><th scope="col">field</th><th scope="col">value</th><th scope="col">message</th></tr></thead>` +
    `<tbody>${rows}</tbody></table></div></section>`
  );
}
