/**
 * The HTML report: ONE self-contained file (inline CSS, inline SVG, a small inline script for the
 * examples table; a Content-Security-Policy that forbids every remote load), so it opens from an
 * e-mail attachment, a CI artifact or a file share, and prints. Every feed value is escaped.
 */
import { type Output, type OutputStream, openOutput } from "../../io/output.js";
import { CSP, SCRIPT, STYLE } from "./assets.js";
import { stackedBar } from "./charts.js";
import { esc, fmt, pct, relativeHref } from "./escape.js";
import type { ReportDocument } from "./model.js";
import { distributionsSection, examplesSection, fillSection, issuesSection } from "./sections.js";

export interface RenderOptions {
  /** Where the page will be written: links (the rejects file) are made relative to it. */
  htmlPath?: string | undefined;
}

function size(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  const units = ["KiB", "MiB", "GiB", "TiB"];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]} (${fmt(bytes)} bytes)`;
}

function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  return s < 120 ? `${s.toFixed(1)} s` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
}

const row = (label: string, value: string, key?: string) =>
  `<tr><th scope="row">${esc(label)}</th><td${key ? ` data-key="${esc(key)}"` : ""}>${value}</td></tr>`;
const numRow = (label: string, n: number, key: string, note = "") =>
  `<tr><th scope="row">${esc(label)}</th><td class="num" data-key="${esc(key)}">${esc(fmt(n))}</td><td class="muted">${note}</td></tr>`;

function runSection(d: ReportDocument): string {
  const r = d.run;
  const chosen = {
    auto: "detected from the layout",
    option: "given",
    mapping: "mapping file",
    inferred: "inferred from the column names and values",
    none: "none",
  }[r.presetChosen];
  const sources = r.fieldSources
    .map((f) => `<tr><td><code>${esc(f.field)}</code></td><td><code>${esc(f.source)}</code></td></tr>`)
    .join("");
  return (
    `<section id="run" aria-labelledby="run-h"><h2 id="run-h">Run</h2><table class="kv" id="run-table"><tbody>` +
    row("command", `<code>${esc(r.command)}</code>`) +
    row("source", esc(r.source), "source") +
    row("format", esc(r.format), "format") +
    row(
      r.preset.startsWith("mapping:") ? "mapping" : "preset",
      `${esc(r.preset)} <span class="muted">(${esc(chosen)})</span>`,
      "preset",
    ) +
    (r.bytes !== undefined ? row("size", esc(size(r.bytes)), "bytes") : "") +
    row("started", esc(r.startedAt)) +
    row("time", esc(duration(r.durationMs))) +
    row("feedpipe", esc(d.version), "version") +
    (d.output
      ? row(
          "output",
          `${esc(fmt(d.output.written))} products written to ${esc(d.output.path)} (${esc(d.output.format)})`,
        )
      : "") +
    (d.push?.target ? row("target", esc(d.push.target)) : "") +
    `</tbody></table>` +
    (sources
      ? `<details${r.fieldSources.length <= 13 ? " open" : ""}><summary>Field sources: where each product field comes from</summary>` +
        `<table id="field-sources"><thead><tr><th scope="col">product field</th><th scope="col">source</th></tr></thead><tbody>${sources}</tbody></table></details>`
      : "") +
    `</section>`
  );
}

function accountingSection(d: ReportDocument): string {
  const r = d.report;
  const p = d.push;
  const rows =
    numRow("read", r.read, "read", r.skipped > 0 ? "records + skipped" : "") +
    numRow("records", r.records, "records", "valid + rejected") +
    numRow("valid", r.valid, "valid", pct(r.valid, r.records)) +
    numRow("rejected", r.invalid, "invalid", pct(r.invalid, r.records)) +
    numRow("skipped", r.skipped, "skipped", "rows the preset knows are not products") +
    numRow("warnings", r.warnings, "warnings", `in ${fmt(r.recordsWithWarnings)} records`) +
    (r.blankRows > 0 ? numRow("blank rows", r.blankRows, "blankRows", "not records") : "") +
    (p
      ? p.dryRun
        ? numRow("would send", p.wouldSend, "wouldSend", "dry run: nothing was sent") +
          numRow("unchanged", p.unchanged, "unchanged", "same content as the last confirmed push")
        : numRow("sent", p.sent, "sent", "confirmed by PartnerBoost") +
          numRow("unchanged", p.unchanged, "unchanged", "same content as the last confirmed push") +
          numRow("failed", p.failed, "failed", "")
      : "");
  const chart = stackedBar({
    title: `Records: ${fmt(r.valid)} valid, ${fmt(r.invalid)} rejected, ${fmt(r.skipped)} skipped`,
    parts: [
      { label: "valid", value: r.valid, kind: "ok" },
      { label: "rejected", value: r.invalid, kind: "error" },
      { label: "skipped", value: r.skipped, kind: "warning" },
    ],
  });
  const failures =
    p && p.failures.length > 0
      ? `<h3>Failed products</h3><div class="wrap"><table id="failures"><thead><tr><th scope="col">line</th><th scope="col">SKU</th><th scope="col">code</th><th scope="col">message</th></tr></thead><tbody>` +
        p.failures
          .slice(0, 200)
          .map(
            (f) =>
              `<tr><td class="num">${f.line !== undefined ? esc(fmt(f.line)) : `#${esc(f.index)}`}</td><td>${esc(f.sku)}</td><td><code>${esc(f.code)}</code></td><td class="msg">${esc(f.message)}</td></tr>`,
          )
          .join("") +
        `</tbody></table></div>`
      : "";
  const hints = r.hints.length
    ? `<ul class="hints">${r.hints.map((h) => `<li>hint: ${esc(h)}</li>`).join("")}</ul>`
    : "";
  return (
    `<section id="accounting" aria-labelledby="acc-h"><h2 id="acc-h">Accounting</h2>${chart}` +
    `<table class="kv" id="accounting-table"><tbody>${rows}</tbody></table>${hints}${failures}</section>`
  );
}

function sinceSection(d: ReportDocument): string {
  const s = d.push?.since;
  if (!s) return "";
  const when = s.previousRunAt ? ` (last run ${esc(s.previousRunAt)})` : "";
  const priceNote =
    s.priceUnknown > 0 ? ` ${fmt(s.priceUnknown)} changed products have no recorded previous price.` : "";
  return (
    `<section id="since" aria-labelledby="since-h"><h2 id="since-h">Since the last run</h2>` +
    `<p class="since" id="since-line">+${esc(fmt(s.added))} new, −${esc(fmt(s.removed))} gone, ${esc(fmt(s.priceChanges))} price changes</p>` +
    `<p class="muted">Compared with the ${fmt(s.previous)} products confirmed for this brand before this run${when}.${priceNote}</p>` +
    `<table class="kv" id="since-table"><tbody>` +
    numRow("new", s.added, "since:added", "not confirmed before") +
    numRow("gone", s.removed, "since:removed", "confirmed before, not a valid product in this feed") +
    numRow("changed", s.changed, "since:changed", "content differs from the confirmed one") +
    numRow("unchanged", s.unchanged, "since:unchanged", "") +
    numRow(
      "price changes",
      s.priceChanges,
      "since:priceChanges",
      `${fmt(s.priceUp)} up, ${fmt(s.priceDown)} down`,
    ) +
    `</tbody></table></section>`
  );
}

/** The whole page as one string (a few hundred KB at most: every part is bounded). */
export function renderReportHtml(d: ReportDocument, options: RenderOptions = {}): string {
  const r = d.report;
  const title = `feedpipe ${d.kind}: ${d.run.source}`;
  const ok = d.ok;
  const verdict = ok
    ? `<span class="verdict ok" id="verdict">✔ passed</span>`
    : `<span class="verdict bad" id="verdict">✖ ${r.invalid > 0 ? `${esc(fmt(r.invalid))} rejected` : "failed"}</span>`;
  let rejects: { href: string; label: string } | undefined;
  if (d.rejectsFile && d.rejectsFile !== "-") {
    const href = options.htmlPath ? relativeHref(options.htmlPath, d.rejectsFile) : d.rejectsFile;
    rejects = { href, label: d.rejectsFile };
  }
  return (
    `<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">` +
    `<meta http-equiv="Content-Security-Policy" content="${CSP}">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<meta name="generator" content="feedpipe ${esc(d.version)}">` +
    `<title>${esc(title)}</title><style>${STYLE}</style></head><body>` +
    `<header><h1>${esc(title)}</h1><p>${verdict} <span class="muted">${esc(fmt(r.valid))} of ${esc(fmt(r.records))} records valid (${pct(r.valid, r.records)})</span></p></header>` +
    `<main>${runSection(d)}${accountingSection(d)}${sinceSection(d)}${issuesSection(r, d.aggregates)}` +
    `${fillSection(d.aggregates)}${distributionsSection(d.aggregates)}${examplesSection(d.aggregates, rejects)}</main>` +
    `<footer>Written by feedpipe ${esc(d.version)} at ${esc(d.run.finishedAt)}. This page loads nothing from the network.</footer>` +
    `<script>${SCRIPT}</script></body></html>\n`
  );
}

/** Write the page atomically (temporary file renamed into place; nothing left on failure). */
export async function writeReportHtml(
  path: string,
  d: ReportDocument,
  options: { stdout?: OutputStream | undefined; signal?: AbortSignal | undefined } = {},
): Promise<void> {
  const html = renderReportHtml(d, { htmlPath: path === "-" ? undefined : path });
  const out: Output = await openOutput(path, { stdout: options.stdout, signal: options.signal });
  try {
    await out.write(html);
    await out.commit();
  } catch (err) {
    await out.abort();
    throw err;
  }
}
