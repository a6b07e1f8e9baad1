#!/usr/bin/env node
/**
 * Hostile rows: time and peak RSS of `feedpipe validate` on inputs built to blow up a reader.
 *
 *   empty-fields  CSV: one 8 MB row of nothing but delimiters (8M empty fields), then a good row
 *   long-line     CSV: one 55 MB unquoted line, then a good row
 *   long-quoted   CSV: one 55 MB quoted field (closed), then a good row
 *   ndjson-line   NDJSON: one 55 MB line, then a good line
 *   baseline      CSV: 2 good rows (process start-up cost)
 *
 *   node bench/hostile-rows.mjs                 all cases, 2 runs each
 *   node bench/hostile-rows.mjs --runs 3 --cases empty-fields,long-line
 *
 * Each run is a whole process (dist/src/cli/main.js; run `npm run build` first). The reader thread
 * is on by default for CSV/NDJSON; --read-thread off is measured too. Prints one line per run.
 */
import { spawn } from "node:child_process";
import { createWriteStream, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const cli = join(root, "dist", "src", "cli", "main.js");
const hook = join(root, "bench", "rss-hook.mjs");
const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const runs = Number(arg("runs", "2"));
const MB = 1024 * 1024;
const HEADER = "sku,name,url,image,price,currency,brand\n";
const GOOD = "G-1,Good,https://shop.example/g,https://shop.example/g.jpg,10.00,EUR,Acme\n";

/** Write `parts` (strings, or [string, times] repeats) to a file without building it in memory. */
async function writeParts(path, parts) {
  const out = createWriteStream(path);
  for (const p of parts) {
    const [text, times] = Array.isArray(p) ? p : [p, 1];
    for (let i = 0; i < times; i++) if (!out.write(text)) await new Promise((r) => out.once("drain", r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
}

const CASES = {
  "empty-fields": (p) =>
    writeParts(`${p}.csv`, [HEADER, "E-1", [",".repeat(MB), 8], "\n", GOOD]).then(() => `${p}.csv`),
  "long-line": (p) =>
    writeParts(`${p}.csv`, [HEADER, "X-1,", ["x".repeat(MB), 55], "\n", GOOD]).then(() => `${p}.csv`),
  "long-quoted": (p) =>
    writeParts(`${p}.csv`, [HEADER, 'Q-1,"', ["y".repeat(MB), 55], '"\n', GOOD]).then(() => `${p}.csv`),
  "ndjson-line": (p) =>
    writeParts(`${p}.ndjson`, [
      '{"sku":"N-1","name":"',
      ["z".repeat(MB), 55],
      '"}\n',
      JSON.stringify({
        sku: "G-1",
        name: "Good",
        url: "https://shop.example/g",
        image: "https://shop.example/g.jpg",
        price: 10,
        currency: "EUR",
        brand: "Acme",
      }),
      "\n",
    ]).then(() => `${p}.ndjson`),
  baseline: (p) => writeParts(`${p}.csv`, [HEADER, GOOD, GOOD.replace("G-1", "G-2")]).then(() => `${p}.csv`),
};

function runOnce(file, extra) {
  return new Promise((resolvePromise, reject) => {
    const rssFile = `${file}.rss`;
    const started = process.hrtime.bigint();
    const child = spawn(process.execPath, [cli, "validate", file, "--report", "json", ...extra], {
      env: { ...process.env, BENCH_RSS_FILE: rssFile, NODE_OPTIONS: `--import=${hook}` },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (c) => (out += c));
    child.stderr.on("data", (c) => (err += c));
    child.on("error", reject);
    child.on("close", (code) => {
      const ms = Number(process.hrtime.bigint() - started) / 1e6;
      let summary = "";
      try {
        const r = JSON.parse(out);
        const codes = (r.rules ?? [])
          .map((x) => x.code)
          .slice(0, 3)
          .join(",");
        summary = `read ${r.records} valid ${r.valid} invalid ${r.invalid}${codes ? ` (${codes})` : ""}`;
      } catch {
        summary = err.trim().split("\n")[0]?.slice(0, 120) ?? "";
      }
      const rss = Number(readFileSync(rssFile, "utf8"));
      resolvePromise({ code, ms, rssMb: rss / MB, summary });
    });
  });
}

const dir = await mkdtemp(join(tmpdir(), "feedpipe-hostile-rows-"));
try {
  const names = (arg("cases") ?? Object.keys(CASES).join(",")).split(",");
  for (const name of names) {
    const file = await CASES[name](join(dir, name));
    for (const [label, extra] of [
      ["thread", []],
      ["1t", ["--read-thread", "off"]],
    ]) {
      for (let i = 0; i < runs; i++) {
        const r = await runOnce(file, extra);
        process.stdout.write(
          `${name.padEnd(13)} ${label.padEnd(6)} run ${i + 1}: ${r.ms.toFixed(0).padStart(6)} ms  peak RSS ${r.rssMb.toFixed(0).padStart(4)} MB  exit ${r.code}  ${r.summary}\n`,
        );
      }
    }
    await rm(file, { force: true });
  }
} finally {
  await rm(dir, { recursive: true, force: true });
}
