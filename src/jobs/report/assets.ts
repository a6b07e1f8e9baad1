/**
 * The page's inline style and script. The Content-Security-Policy allows nothing remote: inline
 * style and script only, images only as data: URLs. The script only filters and searches the
 * examples table (the page is complete without it; the controls stay hidden when it does not run).
 */

export const CSP = "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:";

export const STYLE = `
:root { color-scheme: light dark; --fg: #1b1f24; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa;
  --line: #d0d7de; --error: #c62828; --warning: #b26a00; --ok: #2e7d32; --neutral: #3b6fb6; --hatch: #ffffff; }
@media (prefers-color-scheme: dark) {
  :root { --fg: #e6edf3; --muted: #9da7b3; --bg: #0d1117; --panel: #161b22; --line: #30363d;
    --error: #f47067; --warning: #e0a33a; --ok: #57ab5a; --neutral: #6ca4f8; --hatch: #0d1117; }
}
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
header, main, footer { max-width: 1040px; margin: 0 auto; padding: 0 20px; }
header { padding-top: 20px; }
h1 { font-size: 1.5rem; margin: 0 0 4px; word-break: break-all; }
h2 { font-size: 1.15rem; margin: 28px 0 8px; border-bottom: 1px solid var(--line); padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
.muted, footer { color: var(--muted); }
footer { padding: 24px 20px 32px; font-size: 0.85rem; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; border: 2px solid; }
.verdict.ok { color: var(--ok); } .verdict.bad { color: var(--error); }
table { border-collapse: collapse; margin: 6px 0 12px; font-size: 0.92rem; }
th, td { border: 1px solid var(--line); padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: var(--panel); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
table.kv th { width: 12em; }
.wrap { overflow-x: auto; }
td.value, td.msg { word-break: break-word; max-width: 28em; }
td.sku { white-space: nowrap; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 0.88em; }
.sev-error::before { content: "✖ "; color: var(--error); } .sev-warning::before { content: "▲ "; color: var(--warning); }
.chart { max-width: 100%; height: auto; display: block; margin: 6px 0 10px; }
.chart text { fill: var(--fg); font-size: 12px; } .chart text.small { font-size: 10px; }
.chart .value { fill: var(--muted); }
.bar-error { fill: var(--error); } .bar-warning { fill: var(--warning); } .bar-ok { fill: var(--ok); }
.bar-neutral { fill: var(--neutral); } .hatch { stroke: var(--hatch); stroke-width: 2.5; }
.axis { stroke: var(--line); }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 0 24px; }
.controls { display: flex; gap: 12px; flex-wrap: wrap; align-items: end; margin: 8px 0; }
.controls label { display: flex; flex-direction: column; font-size: 0.85rem; color: var(--muted); }
.controls select, .controls input { font: inherit; padding: 3px 6px; color: var(--fg); background: var(--bg); border: 1px solid var(--line); border-radius: 4px; }
.since { font-size: 1.1rem; font-weight: 600; }
details > summary { cursor: pointer; color: var(--muted); }
a { color: var(--neutral); }
@media print {
  :root { --fg: #000; --muted: #333; --bg: #fff; --panel: #eee; --line: #999; }
  .controls { display: none !important; }
  tr[hidden] { display: table-row !important; }
  details { display: block; } details > * { display: block; }
  section { break-inside: avoid-page; }
  .chart { break-inside: avoid; }
  a { color: #000; }
}
`;

/** Filter (by rule) and search (any text) over the examples table. */
export const SCRIPT = `
(function () {
  var controls = document.getElementById("ex-controls");
  var table = document.getElementById("examples");
  if (!controls || !table) return;
  var rule = document.getElementById("ex-rule");
  var search = document.getElementById("ex-search");
  var shown = document.getElementById("ex-shown");
  var rows = Array.prototype.slice.call(table.tBodies[0].rows);
  controls.hidden = false;
  function apply() {
    var r = rule.value;
    var q = search.value.trim().toLowerCase();
    var n = 0;
    rows.forEach(function (row) {
      var ok = (r === "" || row.getAttribute("data-rule") === r) &&
        (q === "" || row.textContent.toLowerCase().indexOf(q) !== -1);
      row.hidden = !ok;
      if (ok) n++;
    });
    shown.textContent = n + " of " + rows.length + " shown";
  }
  rule.addEventListener("change", apply);
  search.addEventListener("input", apply);
  apply();
})();
`;
