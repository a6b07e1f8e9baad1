#!/usr/bin/env node
/**
 * The benchmark suite. For each format it generates a seeded catalog, then runs as whole processes:
 *   floor     read + UTF-8 decode + split into records, no parsing (bench/floor.mjs)
 *   naive     the first pipeline a developer would write (bench/naive/pipeline.mjs)
 *   convert   feedpipe convert FILE -o out.csv   (read → map → validate → write CSV)
 *   convert-1t  the same with --read-thread off (CSV, NDJSON, XML; the default reads them on a thread)
 *   validate  feedpipe validate FILE --report json
 * and prints products/s, MB/s and peak RSS. Results go to bench/results/<date>.json.
 *
 *   npm run bench                                   200k products, all formats
 *   npm run bench -- --products 1000000 --formats csv,xml
 *   npm run bench -- --size 1g --skip naive,floor    1 GB input per format (memory check)
 *   npm run bench -- --network                      push/pull vs the sandbox at concurrency 1/4/8/16
 */
import { existsSync, statSync } from "node:fs";
import { mkdir, rm, writeFile } from "node:fs/promises";
import { cpus, totalmem } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { generate } from "./generate.mjs";
import { measure as measureIn } from "./measure.mjs";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const dataDir = join(root, "bench", "data");
const cli = join(root, "dist", "src", "cli", "main.js");

const argv = process.argv.slice(2);
const arg = (name, fallback) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const flag = (name) => argv.includes(`--${name}`);

// Measured on the seed-42 generator output (200k products), so --size gives files of about that size.
const BYTES_PER_PRODUCT = { csv: 390, xml: 658, json: 536, ndjson: 535 };

function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)([kmg]?)$/i.exec(s);
  if (!m) throw new Error(`bad --size ${s}`);
  return Number(m[1]) * { "": 1, k: 1e3, m: 1e6, g: 1e9 }[m[2].toLowerCase()];
}

/** Run a command as its own process from the repository root: seconds, peak RSS, output. */
const measure = (cmd, args, options) => measureIn(cmd, args, { cwd: root, dataDir, ...options });

async function datafile(format, products, seed) {
  const file = join(dataDir, `catalog-${products}-s${seed}.${format}`);
  if (!existsSync(file)) {
    process.stderr.write(`generating ${file} ...\n`);
    await generate({ products, format, out: file, seed });
  }
  return file;
}

function lastJson(text) {
  const lines = text.trim().split("\n");
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      return JSON.parse(lines[i]);
    } catch {}
  }
  try {
    return JSON.parse(text);
  } catch {
    return {};
  }
}

async function fileBench({ formats, products, size, seed, skip }) {
  const rows = [];
  for (const format of formats) {
    const count = size ? Math.round(size / BYTES_PER_PRODUCT[format]) : products;
    const file = await datafile(format, count, seed);
    const bytes = statSync(file).size;
    const out = join(dataDir, `out-${process.pid}.csv`);
    const tasks = [
      ["floor", () => measure(process.execPath, [join(root, "bench", "floor.mjs"), file, format])],
      [
        "naive",
        () => measure(process.execPath, [join(root, "bench", "naive", "pipeline.mjs"), file, format, out]),
      ],
      [
        "convert",
        () => measure(process.execPath, [cli, "convert", file, "-o", out, "--quiet"], { allowExit: [0, 1] }),
      ],
      [
        // The same convert on one thread (the reader thread is used for CSV/NDJSON/XML by default).
        "convert-1t",
        () =>
          format !== "json"
            ? measure(
                process.execPath,
                [cli, "convert", file, "-o", out, "--quiet", "--read-thread", "off"],
                {
                  allowExit: [0, 1],
                },
              )
            : undefined,
      ],
      [
        "validate",
        () =>
          measure(process.execPath, [cli, "validate", file, "--report", "json", "--quiet"], {
            allowExit: [0, 1],
          }),
      ],
    ];
    for (const [task, run] of tasks) {
      if (skip.includes(task)) continue;
      const r = await run();
      if (r === undefined) continue;
      const info = lastJson(r.stdout);
      const row = {
        format,
        task,
        products: count,
        bytes,
        seconds: +r.seconds.toFixed(3),
        productsPerSec: Math.round(count / r.seconds),
        mbPerSec: +(bytes / 1e6 / r.seconds).toFixed(1),
        peakRssMb: +(r.rss / 1024 / 1024).toFixed(1),
        records: info.records,
      };
      rows.push(row);
      process.stderr.write(
        `${format.padEnd(7)} ${task.padEnd(9)} ${String(row.productsPerSec).padStart(9)} products/s ${String(row.mbPerSec).padStart(7)} MB/s  peak RSS ${row.peakRssMb} MB\n`,
      );
    }
    await rm(out, { force: true });
  }
  return rows;
}

function table(rows) {
  const lines = [
    "| format | task | products | products/s | MB/s | peak RSS MB | vs naive |",
    "|---|---|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    const naive = rows.find((x) => x.format === r.format && x.task === "naive");
    const ratio =
      naive && r.task !== "naive" && r.task !== "floor"
        ? `${(r.productsPerSec / naive.productsPerSec).toFixed(2)}x`
        : "";
    lines.push(
      `| ${r.format} | ${r.task} | ${r.products} | ${r.productsPerSec.toLocaleString("en-US")} | ${r.mbPerSec} | ${r.peakRssMb} | ${ratio} |`,
    );
  }
  return lines.join("\n");
}

async function main() {
  if (!existsSync(cli)) throw new Error("dist/ is missing: run `npm run build` first");
  await mkdir(dataDir, { recursive: true });
  const formats = (arg("formats", "csv,ndjson,json,xml") ?? "").split(",").filter(Boolean);
  const products = Number(arg("products", "200000"));
  const size = arg("size") ? parseSize(arg("size")) : undefined;
  const seed = Number(arg("seed", "42"));
  const skip = (arg("skip", "") ?? "").split(",");
  const result = {
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      memGiB: +(totalmem() / 2 ** 30).toFixed(1),
      node: process.version,
    },
    options: { formats, products, size, seed },
    files: [],
    network: undefined,
  };
  if (!flag("network-only")) result.files = await fileBench({ formats, products, size, seed, skip });
  if (flag("network") || flag("network-only")) {
    const { networkBench } = await import("./network.mjs");
    result.network = await networkBench({ log: (s) => process.stderr.write(s) });
  }
  const dir = join(root, "bench", "results");
  await mkdir(dir, { recursive: true });
  const name = join(dir, `${result.date.replace(/[:.]/g, "-")}.json`);
  await writeFile(name, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(
    `\nMachine: ${result.machine.cpus} cores (${result.machine.model}), ${result.machine.memGiB} GiB, Node ${result.machine.node}\n\n`,
  );
  if (result.files.length) process.stdout.write(`${table(result.files)}\n`);
  if (result.network) process.stdout.write(`\n${result.network.table}\n`);
  process.stdout.write(`\nSaved ${name}\n`);
}

main().catch((err) => {
  process.stderr.write(`bench: ${err.message}\n`);
  process.exitCode = 1;
});
