#!/usr/bin/env node
/**
 * Where a run's CPU time goes, by pipeline stage: runs a feedpipe command under `--cpu-prof` and
 * attributes every sample to the innermost frame that belongs to a stage (a RegExp or builtin is
 * charged to the feedpipe function that called it). All threads' profiles are summed per stage.
 *
 *   node bench/stage-profile.mjs FILE [--command convert|validate] [--read-thread on|off] [--runs N]
 *
 * Prints a Markdown table (ms and share per stage; with --runs, the median of each stage).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const file = argv[0];
if (!file || file.startsWith("--")) {
  process.stderr.write(
    "usage: node bench/stage-profile.mjs FILE [--command convert|validate] [--read-thread on|off] [--runs N]\n",
  );
  process.exit(2);
}
const command = arg("command", "convert");
const thread = arg("read-thread", "off");
const runs = Number(arg("runs", "1"));

/** Stage of a frame, or undefined when it belongs to none (a builtin, a RegExp, node internals). */
function stageOf(frame) {
  const { functionName: fn, url } = frame;
  if (fn === "(garbage collector)") return "GC";
  if (fn === "(idle)") return "idle (waiting)";
  if (fn === "(program)") return "startup and other";
  const u = url.replace(/\\/g, "/");
  if (u.includes("/dist/src/formats/xml-record.js")) return "XML record parsing";
  if (u.includes("/dist/src/formats/xml-splitter.js")) return "XML splitting (incl. line and byte counting)";
  if (u.includes("/dist/src/formats/xml.js")) return "XML namespaces and record objects";
  if (/\/dist\/src\/formats\/(csv|csv-engine|json|ndjson)\.js/.test(u)) return "parsing (CSV/JSON/NDJSON)";
  if (/\/dist\/src\/formats\/(pack|worker-feed|read-worker)\.js/.test(u))
    return "thread hand-over (pack, unpack)";
  if (/\/dist\/src\/(io\/(source|decode|decompress|remote|http)|formats\/(index|sniff|reader))\.js/.test(u))
    return "read + decode";
  if (u.includes("/dist/transforms/")) return "mapping (preset)";
  if (u.includes("/dist/schemas/")) return "validation";
  if (u.includes("/dist/src/core/sku-set.js")) return "duplicate SKUs";
  if (/\/dist\/src\/(jobs\/|core\/(report|record|max-invalid)\.js)/.test(u))
    return "pipeline loop and report";
  if (/\/dist\/src\/(formats\/writers\/|io\/(output|output-target)\.js)/.test(u)) return "writing";
  if (fn === "read" || fn === "decode" || fn === "openFileHandle") return "read + decode";
  if (u.includes("/dist/src/cli/")) return "startup and other";
  return undefined;
}

function profileOnce() {
  const dir = mkdtempSync(join(tmpdir(), "fp-prof-"));
  try {
    const out = join(dir, command === "convert" ? "out.csv" : "report.json");
    const args = [
      "--cpu-prof",
      `--cpu-prof-dir=${dir}`,
      cli,
      command,
      file,
      ...(command === "convert" ? ["-o", out, "--quiet"] : ["--report", "json"]),
      "--read-thread",
      thread,
    ];
    const r = spawnSync(process.execPath, args, {
      cwd: root,
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, CI: "true" },
    });
    if (r.status !== 0 && r.status !== 1) throw new Error(`feedpipe exited ${r.status}: ${r.stderr}`);
    const totals = new Map();
    for (const name of readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"))) {
      const p = JSON.parse(readFileSync(join(dir, name), "utf8"));
      const byId = new Map(p.nodes.map((n) => [n.id, n]));
      const parent = new Map();
      for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
      const stage = new Map();
      const resolveStage = (id) => {
        if (stage.has(id)) return stage.get(id);
        const s =
          stageOf(byId.get(id).callFrame) ??
          (parent.has(id) ? resolveStage(parent.get(id)) : "startup and other");
        stage.set(id, s);
        return s;
      };
      for (let i = 0; i < p.samples.length; i++) {
        const s = resolveStage(p.samples[i]);
        totals.set(s, (totals.get(s) ?? 0) + (p.timeDeltas[i] ?? 0) / 1000);
      }
    }
    return totals;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const all = [];
for (let i = 0; i < runs; i++) all.push(profileOnce());
const stages = [...new Set(all.flatMap((t) => [...t.keys()]))];
const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const rows = stages.map((s) => [s, median(all.map((t) => t.get(s) ?? 0))]).sort((a, b) => b[1] - a[1]);
const busy = rows.filter(([s]) => s !== "idle (waiting)").reduce((a, [, ms]) => a + ms, 0);
console.log(
  `${command} ${file} --read-thread ${thread}, ${runs} run(s), median per stage; share of busy time\n`,
);
console.log("| stage | ms | share |\n|---|---:|---:|");
for (const [s, ms] of rows)
  console.log(
    `| ${s} | ${Math.round(ms).toLocaleString("en-US")} | ${s === "idle (waiting)" ? "" : `${((100 * ms) / busy).toFixed(1)}%`} |`,
  );
console.log(`| busy total | ${Math.round(busy).toLocaleString("en-US")} | |`);
